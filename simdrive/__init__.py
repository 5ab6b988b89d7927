"""simdrive: driving-scenario simulation for labelled synthetic camera data.

Stages (one direction): plain world data -> World state arrays -> compiled
steps -> trajectories, events and metrics. See simdrive.sim for the API.
"""

__version__ = "0.1.0"
