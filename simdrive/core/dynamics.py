"""Vehicle and pedestrian dynamics: IDM, friction, bicycle and unicycle models."""

from __future__ import annotations

import math

from simdrive.core._jit import inline_kernel, kernel

TWO_PI = 2.0 * math.pi


@inline_kernel
def wrap_angle(a):
    """Angle in rad brought into [-pi, pi] (input within (-3pi, 3pi); no float %)."""
    if a > math.pi:
        a -= TWO_PI
    elif a < -math.pi:
        a += TWO_PI
    return a


@inline_kernel
def idm_interaction_scale(max_accel, comfort_decel):
    """2 sqrt(a b) in m/s^2, the denominator of the IDM's braking interaction term.

    A constant of each actor: the step computes it once per call (a square root
    on the critical path of every IDM evaluation otherwise).
    """
    return 2.0 * math.sqrt(max(max_accel * comfort_decel, 1e-9))


@kernel
def idm_acceleration(speed, desired_speed, gap, closing_speed, max_accel, comfort_decel,
                     time_headway, min_gap):
    """Intelligent Driver Model acceleration in m/s^2 (Treiber et al. 2000, delta = 4).

    ``gap`` is the bumper-to-bumper distance to the leader in m (inf: free
    road), ``closing_speed`` = own speed - leader speed in m/s. A desired speed
    of zero asks for a comfortable stop.
    """
    return idm_acceleration_scaled(speed, desired_speed, gap, closing_speed, max_accel,
                                   comfort_decel, time_headway, min_gap,
                                   idm_interaction_scale(max_accel, comfort_decel))


@kernel
def idm_acceleration_scaled(speed, desired_speed, gap, closing_speed, max_accel, comfort_decel,
                            time_headway, min_gap, interaction_scale):
    """idm_acceleration given ``interaction_scale`` = idm_interaction_scale(a, b) in m/s^2."""
    if desired_speed > 0.01:
        ratio = speed / desired_speed
        r2 = ratio * ratio
        free = max_accel * (1.0 - r2 * r2)
    else:
        free = -comfort_decel if speed > 0.0 else 0.0
    if gap == math.inf:
        return free
    if gap <= 0.01:
        return -1.0e9  # in contact: the caller clamps to the strongest braking
    s_star = min_gap + max(0.0, speed * time_headway + speed * closing_speed / interaction_scale)
    q = s_star / gap
    return free - max_accel * q * q


@inline_kernel
def limit_jerk(accel_cmd, accel_prev, max_jerk, dt):
    """Acceleration command in m/s^2 after limiting its rate of change to max_jerk."""
    step = max_jerk * dt
    return min(max(accel_cmd, accel_prev - step), accel_prev + step)


@inline_kernel
def friction_clamp(accel_long, lateral_demand, friction, gravity):
    """Split the friction budget mu*g between longitudinal and lateral acceleration.

    Inside the friction circle both get what they ask for; beyond it the asked-for
    acceleration keeps its direction and shrinks onto the circle, so a car braking hard
    in a bend still steers, with less of both (as with ABS: the wheels do not lock).
    Returns (longitudinal, lateral limit) in m/s^2.
    """
    budget = friction * gravity
    total2 = accel_long * accel_long + lateral_demand * lateral_demand
    if total2 <= budget * budget:
        return accel_long, abs(lateral_demand)  # inside the circle: nothing to limit
    scale = budget / math.sqrt(total2)
    return accel_long * scale, abs(lateral_demand) * scale


@inline_kernel
def advance_speed(speed, accel, dt):
    """New speed (m/s) and distance covered (m) under constant acceleration.

    Speed never becomes negative: a vehicle braking to a halt inside the step
    covers exactly v^2 / (2 |a|), so braking distances match the closed form.
    """
    new_speed = speed + accel * dt
    if new_speed >= 0.0:
        return new_speed, 0.5 * (speed + new_speed) * dt
    return 0.0, speed * speed / (-2.0 * accel)


@kernel
def pure_pursuit_steer(x, y, cos_h, sin_h, target_x, target_y, wheelbase):
    """Front-wheel angle in rad that puts the box centre on an arc through the target.

    The heading is given by its cosine and sine.
    """
    dx = target_x - x
    dy = target_y - y
    c = cos_h
    s = sin_h
    local_x = dx * c + dy * s
    local_y = -dx * s + dy * c
    dist2 = local_x * local_x + local_y * local_y
    if dist2 < 1e-9 or local_y == 0.0:
        return 0.0
    curvature = 2.0 * local_y / dist2
    return math.atan(curvature * wheelbase)


@kernel
def heading_error(x, y, heading, target_x, target_y):
    """Signed angle in rad from the heading to the direction of the target."""
    return wrap_angle(math.atan2(target_y - y, target_x - x) - heading)


@kernel
def integrate_pose(x, y, cos_old, sin_old, cos_new, sin_new, distance):
    """Move a point ``distance`` m along the bisector of the old and new headings.

    The bisector of two unit vectors points at the mean heading, so this is the
    midpoint rule (the chord direction of a constant-curvature arc) without a
    third sine/cosine: the caller has both ends' already. Returns (x, y) in m.
    """
    bx = cos_old + cos_new
    by = sin_old + sin_new
    norm = math.sqrt(bx * bx + by * by)
    if norm < 1e-12:  # a half turn within one step: no meaningful mean heading
        return x + distance * cos_old, y + distance * sin_old
    return x + distance * bx / norm, y + distance * by / norm
