"""Row indices of the packed state blocks shared by the kernels and simdrive.sim.

A batch of W worlds with capacity N actors is held in a few blocks so that a
kernel call passes a handful of arrays (per-call overhead, PERF_NOTES):

- ``fstate``  float64 (W, F_COUNT, N): dynamic actor state, rows ``F_*``
- ``istate``  int32   (W, I_COUNT, N): discrete actor state, rows ``I_*``
- ``params``  float64 (W, P_COUNT, N): per-actor constants, rows ``P_*``
- ``wfloat``  float64 (W, WF_COUNT): per-world scalars, ``WF_*``
- ``wint``    int32   (W, WI_COUNT): per-world counters, ``WI_*``
- ``act_i``   int32   (W, A, AI_COUNT) and ``act_f`` float64 (W, A, AF_COUNT):
  scripted actions with triggers
- ``events``  float64 (W, E, EV_COUNT): event records
- ``metrics`` float64 (W, M_COUNT) and ``actor_metrics`` float64 (W, AM_COUNT, N)

Units are SI: m, s, m/s, m/s^2, rad.
"""

# ---- fstate rows -----------------------------------------------------------
F_X = 0  # box centre x, m
F_Y = 1  # box centre y, m
F_HEADING = 2  # rad, counter-clockwise from +x, in [-pi, pi]
F_SPEED = 3  # m/s along the heading, >= 0
F_ACCEL = 4  # longitudinal acceleration applied in the last step, m/s^2
F_STEER = 5  # front-wheel steering angle, rad (vehicles)
F_S = 6  # arc length along the followed lane, m
F_D = 7  # lateral offset from the lane centre, m (left positive)
F_X_PREV = 8  # pose at the start of the last step, for swept collision
F_Y_PREV = 9
F_HEADING_PREV = 10
F_DESIRED_SPEED = 11  # m/s; changed by actions (stop, go)
F_GOAL_X = 12  # target point for GOTO mode, m
F_GOAL_Y = 13
F_SEEN_SINCE = 14  # time the tracked obstacle was first perceived, s
F_BRAKE_DECEL = 15  # forced deceleration of a scripted brake, m/s^2 (0: none)
F_YAW_RATE = 16  # rad/s applied in the last step
F_LOOKAHEAD_GAIN = 17  # pure-pursuit look-ahead time, s (smaller: sharper)
F_LANE_CHANGE_TIME = 18  # time of the last lane change, s
F_LEADER_SINCE = 19  # time the current lane leader was first perceived, s
F_VX = 20  # world velocity of a crashed actor, m/s (it slides: not along its heading)
F_VY = 21
F_D_TARGET = 22  # lateral offset from the lane centre that lane keeping steers to, m (left
# positive): the placement's d, 0 after a lane change, set by swerve and cut_in
F_SEEN_SINCE2 = 23  # time I_SEEN_ID2 was first perceived, s
F_SEEN_LAST = 24  # time I_SEEN_ID was last perceived in the way, s
F_SEEN_LAST2 = 25  # time I_SEEN_ID2 was last perceived in the way, s
F_COUNT = 26

# ---- istate rows -----------------------------------------------------------
I_VALID = 0  # 1 if the slot holds an actor
I_MODE = 1  # MODE_*
I_LANE = 2  # followed lane index, -1 none
I_SEG = 3  # segment hint for the projection onto the lane
I_DIR = 4  # +1 along the lane, -1 against it
I_TURN = 5  # successor slot preferred at a junction: 0 straight, 1 left, 2 right
I_FLAGS = 6  # FLAG_* bits
I_SEEN_ID = 7  # actor currently tracked as the nearest free obstacle, -1 none
I_KIND = 8  # actor kind id (simdrive.world.actors)
I_MODEL = 9  # MODEL_*
I_ORDER = 10  # permutation: actors sorted by (lane, s) for IDM; free actors last
I_XORDER = 11  # permutation: actors sorted by swept min-x for the broad phase
I_LANE_TARGET = 12  # lane chosen by MOBIL this step, -1 none (scratch)
I_LEADER_SEEN = 13  # lane leader being perceived, -1 none, LEADER_KNOWN: take the next at once
I_SEEN_ID2 = 14  # the next nearest free obstacle perceived in the way (behind I_SEEN_ID), -1 none
I_COUNT = 15

LEADER_KNOWN = -2  # after its own lane change a driver already knows its new leader

# ---- params rows -----------------------------------------------------------
P_LENGTH = 0  # m
P_WIDTH = 1  # m
P_HEIGHT = 2  # m
P_WHEELBASE = 3  # m (bicycle model)
P_MAX_SPEED = 4  # m/s
P_MAX_ACCEL = 5  # IDM a, m/s^2
P_COMFORT_DECEL = 6  # IDM b, m/s^2
P_MAX_DECEL = 7  # strongest braking the actor can command, m/s^2
P_MAX_JERK = 8  # m/s^3
P_MAX_STEER = 9  # rad
P_MAX_STEER_RATE = 10  # rad/s
P_MAX_YAW_RATE = 11  # rad/s (unicycle model)
P_TIME_HEADWAY = 12  # IDM T, s
P_MIN_GAP = 13  # IDM s0, m
P_POLITENESS = 14  # MOBIL p
P_REACTION_TIME = 15  # s before a newly perceived obstacle is acted on
P_VISION_RANGE = 16  # m, the actor's own sight limit (the world's visibility caps it)
P_MASS = 17  # kg, for the momentum exchange of a collision
P_RADIUS = 18  # m, half the box diagonal: a bounding circle for quick rejections
P_GAP_MARGIN = 19  # s: how much sooner than oncoming traffic a left turn must clear
P_LAMPS = 20  # > 0: it carries lamps (vehicles unless told otherwise, a cyclist if told),
# the value all its headlights' strength in a car's headlights (world.actors.
# headlight_strength: 2 for a car, 0.35 for a cyclist; glare.find_glare),
# which once not MODE_STATIC (a parked car that pulls out lights up; one knocked loose,
# FLAG_KNOCKED_LOOSE, does not) others see as far as WF_LAMP_VISIBILITY
P_COUNT = 21

# ---- per-world floats --------------------------------------------------------
WF_TIME = 0  # s
WF_DT = 1  # s
WF_FRICTION = 2  # tyre-road friction coefficient mu before WF_CHANGE_TIME
WF_VISIBILITY = 3  # m, before WF_CHANGE_TIME
WF_CHANGE_TIME = 4  # s; environment switches to the *_AFTER values (inf: never)
WF_FRICTION_AFTER = 5
WF_VISIBILITY_AFTER = 6
WF_SIGNAL_OFFSET = 7  # s added to the time when evaluating the signal plan
WF_EXPECTED_FRICTION = 8  # mu drivers judge the road by (black ice: a dry road's)
WF_EXPECTED_FRICTION_AFTER = 9
WF_LAMP_VISIBILITY = 10  # m: how far lit lamps are seen (the dark does not hide them; by
# day WF_VISIBILITY), before WF_CHANGE_TIME
WF_LAMP_VISIBILITY_AFTER = 11
WF_UNLIT_SIGHT = 12  # m: how far one without lit lamps of its own sees what shows none
# either, at most (inf: no nearer than WF_VISIBILITY; the nearer of the two applies)
WF_GLARE_BACKGROUND = 13  # cd/m^2: the luminance eyes adapt to with headlights on (a road
# under dipped beams at night); oncoming headlights' veiling glare is set against it
# (glare.glare_sight; inf: no dazzle, by day)
WF_COUNT = 14

# ---- per-world ints ------------------------------------------------------------
WI_STEP = 0  # steps taken
WI_EGO = 1  # actor index of the ego, -1 none
WI_EVENT_COUNT = 2  # events stored
WI_EVENTS_DROPPED = 3  # events that did not fit in the buffer
WI_COUNT = 4

# ---- kernel workspace ------------------------------------------------------------
# scratch float64 (W, S_COUNT, N). S_COS/S_SIN hold the cosine and sine of each
# actor's current heading: set when the world is built, kept up to date by the
# integration (one sin/cos per actor-step). The rest is per-step scratch.
S_COS = 0
S_SIN = 1
S_MINX = 2  # swept extents of the last step, m (broad phase)
S_MAXX = 3
S_MINY = 4
S_MAXY = 5
S_ACCEL_CMD = 6  # m/s^2 chosen by the controls phase
S_STEER_CMD = 7  # rad (bicycle) or rad/s yaw rate (unicycle)
S_IDM_SCALE = 8  # m/s^2, 2 sqrt(a b) of the actor's IDM: set at the start of every call
S_INTRUDERS = 9  # indices (as floats) of the lane-bound actors whose box crosses a line of
# their lane this step on purpose (an offset over it): the other lane's traffic sees them
S_INTRUDED = 10  # the lane each of them reaches into (-2: one of the other direction, or none)
S_CHANGERS = 11  # indices (as floats) of the actors whose lane change is under way, their
# box still over the line of the lane they left (lane_lines.find_intruders fills both)
S_CHANGED_FROM = 12  # the lane each of them left (they are still partly in it)
S_SEEN_AT = 13  # m: how far others can see each actor this step (WF_LAMP_VISIBILITY for
# one with P_LAMPS not in MODE_STATIC, WF_VISIBILITY for the rest; perception.seen_within)
S_LIT = 14  # inf: its lamps are lit this step (P_LAMPS, not MODE_STATIC nor knocked
# loose), else 0 (perception.seen_within: no cut for a lit one)
S_UNLIT_SIGHT = 15  # m: how far this actor sees those whose lamps are not lit (the
# visibility with its own lit, else the nearer of it and WF_UNLIT_SIGHT)
S_GLARE_X = 16  # m: where the brightest headlights facing this actor are this step
S_GLARE_Y = 17
S_GLARE_VEIL = 18  # their veil over the background luminance at 1 degree, EYE_GLARE E /
# WF_GLARE_BACKGROUND (deg^2; 0: none, or by day); glare.find_glare
S_COUNT = 19
LANE_WS_COUNT = 2  # int64 (W, 2, L): first position of each lane in the order, count

# ---- modes, models, flags ------------------------------------------------------
MODE_STATIC = 0  # never moves (parked car, debris)
MODE_LANE = 1  # lane-bound traffic: IDM + MOBIL, ordered by (lane, s)
MODE_LANE_FREE = 2  # follows a lane (either direction) outside the IDM order
MODE_GOTO = 3  # heads for (F_GOAL_X, F_GOAL_Y), then stops

MODEL_BICYCLE = 0
MODEL_UNICYCLE = 1
MODEL_STATIC = 2

FLAG_IGNORE_SIGNALS = 1
FLAG_NO_LANE_CHANGE = 2
FLAG_CRASHED = 4
FLAG_IGNORE_OBSTACLES = 8  # does not brake for anything (a child running out)
FLAG_CAUTIOUS = 16  # pedestrian waits at the kerb for a safe gap
FLAG_EGO = 32
FLAG_ARRIVED = 64  # reached its GOTO target
FLAG_GIVING_WAY = 128  # stopping, or waiting, to give way at a junction (set each step)
FLAG_KNOCKED_LOOSE = 256  # was standing (a parked car) until struck: slides, lamps stay off
FLAG_ROLLS = 512  # a ball: kicked and rolling, its speed and turns take no grip

# ---- scripted actions ------------------------------------------------------------
AI_ACTOR = 0
AI_TYPE = 1  # ACT_*
AI_TRIGGER = 2  # TRIG_*
AI_REF = 3  # reference actor for TRIG_ACTOR_DISTANCE_BELOW
AI_STATE = 4  # 0 pending, 1 triggered (waiting for its delay), 2 done
AI_COUNT = 5

AF_TRIGGER_VALUE = 0  # s, m, or s depending on the trigger
AF_TRIGGER_X = 1  # m, point for TRIG_REACH_POINT
AF_TRIGGER_Y = 2
AF_DELAY = 3  # s between trigger and action
AF_PARAM0 = 4  # action parameters, see ACT_*
AF_PARAM1 = 5
AF_PARAM2 = 6
AF_FIRE_TIME = 7  # s, when the action took effect (nan before)
AF_COUNT = 8

TRIG_TIME = 0  # time >= value
TRIG_EGO_DISTANCE_BELOW = 1  # centre distance ego-actor < value (m)
TRIG_REACH_POINT = 2  # actor within value m of (x, y)
TRIG_ACTOR_DISTANCE_BELOW = 3  # centre distance actor-ref < value (m)
TRIG_EGO_TIME_BELOW = 4  # ego centre distance / ego speed < value (s)

ACT_HARD_BRAKE = 0  # param0: deceleration, m/s^2
ACT_STOP = 1  # comfortable stop: desired speed 0
ACT_GO = 2  # param0: desired speed, m/s; clears a brake, resumes the mode
ACT_CUT_IN = 3  # param0: target lane; param1: look-ahead time, s; param2: offset in it, m
ACT_RUN_RED_LIGHT = 4  # ignore signals; param0: desired speed (m/s, <=0 keeps it)
ACT_WRONG_WAY = 5  # param0: lane to drive against its direction
ACT_CROSS_ROAD = 6  # param0, param1: target x, y (m); param2: speed, m/s
ACT_SET_SPEED = 7  # param0: desired speed, m/s
ACT_SWERVE = 8  # param0: lateral offset in the current lane, m (left +); param1: look-ahead, s

# ---- events ----------------------------------------------------------------------
EV_TYPE = 0  # EVENT_*
EV_TIME = 1  # s
EV_A = 2  # actor index
EV_B = 3  # other actor (collision) or action index (action), as float
EV_X = 4  # m, contact point estimate (collision) or actor position
EV_Y = 5
EV_REL_SPEED = 6  # m/s, norm of the relative velocity at contact
EV_SPEED_A = 7  # m/s
EV_SPEED_B = 8  # m/s
EV_CLOSING = 9  # m/s, how fast the pair closed along the contact normal at impact
EV_FACE_A = 10  # the face of A's box the contact is on (FACE_*), B's below
EV_FACE_B = 11
EV_COUNT = 12
FACE_FRONT, FACE_REAR, FACE_LEFT, FACE_RIGHT = 0, 1, 2, 3

EVENT_COLLISION = 0
EVENT_ACTION = 1

# ---- metrics ---------------------------------------------------------------------
M_MIN_TTC = 0  # s, min over time and actors of the ego's time-to-collision (inf)
M_MIN_DISTANCE = 1  # m, min box-to-box distance between the ego and any actor
M_MAX_EGO_DECEL = 2  # m/s^2, harshest ego deceleration
M_EGO_COLLISION = 3  # 1.0 if the ego collided
M_EGO_COLLISION_TIME = 4  # s (nan: none)
M_EGO_COLLISION_OTHER = 5  # actor index the ego first hit (-1: none)
M_EGO_SPEED_AT_IMPACT = 6  # m/s (nan: none)
M_COLLISIONS = 7  # number of colliding pairs
M_FIRST_COLLISION_TIME = 8  # s, any pair (nan: none)
M_EGO_MAX_SPEED = 9  # m/s
M_EGO_OFF_ROAD_TIME = 10  # s, when the ego's centre first left the road (nan: never)
M_EGO_IMPACT_CLOSING = 11  # m/s, closing speed along the contact normal at its first impact
M_EGO_IMPACT_FACE = 12  # FACE_* of the ego's box its first impact is on (nan: none)
M_COUNT = 13

AM_MIN_TTC = 0  # s, per actor, against the ego
AM_MIN_DISTANCE = 1  # m, per actor, against the ego
AM_COUNT = 2

# ---- map codes (the same values as simdrive.world.lanes / packed; a test checks) ----
LANE_DRIVING = 0
LANE_SIDEWALK = 1
LANE_CONNECTOR = 3  # a driving lane inside a junction
AREA_DRIVABLE = 0
AREA_PARKING = 3

GRAVITY = 9.81  # m/s^2
