"""``simdrive preview``: an interactive pygame window on one variant of a scenario.

Parts: ``playback`` (stepping, exact step back via ``history``, manual driving
via ``manual``, looks, saving), ``views`` (dashcam and bird's-eye pictures),
``hud`` (text panels), ``keys`` (the input map and its help), ``reload`` (hot
reload of the scenario file) and ``app`` (the window and its thin loop).
"""

import os

# pygame prints a greeting on import unless told not to; the preview prints its own output
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
