"""Powertools Logger, Tracer and Metrics, configured by the POWERTOOLS_* variables of template.yaml."""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
