"""`make bench`: cold start, AWS calls per operation, write cost vs group size and local throughput.

Every figure is measured side by side in one run and reported as a ratio or beside a stated
minimum, so that a slower or faster machine does not change what the numbers say.
"""
