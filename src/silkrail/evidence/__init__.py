"""The transit model's data: the schemas of its parameters file, of the evidence base of
published figures it is fitted to and judged by, and of what the fit writes; and their loaders.
Below routing: network -> evidence -> routing."""
