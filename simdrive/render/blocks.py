"""The parameter blocks the render kernels share: float64 arrays laid out by the column
constants here (built in simdrive.render.camera, lamps and renderer; read by the actor
pass, simdrive.render.raster, the face fill, the ground pass and the labels).

Camera block ``cam`` (CAM_COUNT,) float64: rotation R (row-major, world to
camera), translation t (camera = R @ world + t), intrinsics, projection. Camera
coordinates follow KITTI: x right, y down, z forward.
"""

# camera block
C_R, C_T, C_FX, C_FY, C_CX, C_CY, C_ORTHO, C_MPP, C_NEAR, C_FAR = 0, 9, 12, 13, 14, 15, 16, 17, \
    18, 19
C_COUNT = 20

# per-actor rows
A_X, A_Y, A_HEADING, A_LENGTH, A_WIDTH, A_HEIGHT, A_KIND, A_R, A_G, A_B, A_LIT, A_INST, \
    A_SEM, A_COUNTED = range(14)
A_COUNT = 14

# shading block
SH_AMBIENT, SH_SUN_DIR, SH_SUN_RGB, SH_FOG_RGB, SH_FOG_SCALE, SH_HEAD_RGB, SH_TAIL_RGB = \
    0, 3, 6, 9, 12, 13, 16
SH_COUNT = 19

# point/spot lights (headlights, street lights)
# L_RAMP: the light on the ground fades in over the first L_RAMP metres (a dipped
# beam is aimed down the road); 0 for lamps
L_X, L_Y, L_Z, L_DX, L_DY, L_DZ, L_COS, L_RANGE, L_R, L_G, L_B, L_RAMP = range(12)
L_COUNT = 12
