// Swagger UI for the local stack: the committed OpenAPI document, pointed at this stack's API URL.
(async () => {
  const [config, spec] = await Promise.all(
    ["/config.json", "/openapi.json"].map((url) => fetch(url).then((response) => response.json())),
  );
  spec.servers = [{ url: config.api_url, description: "this local stack" }];
  window.ui = SwaggerUIBundle({
    spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
