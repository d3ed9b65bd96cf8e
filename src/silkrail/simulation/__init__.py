"""Discrete-event simulation of trains queueing at crossings: kernel, model, scenarios, KPIs, Dask."""
