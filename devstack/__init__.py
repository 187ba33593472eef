"""Developer tooling: run the stack of template.yaml on this machine, against moto."""
