"""Node information bytes written by hand from the JIP-3 text and NOTES.md, not by our encoder:
JAM Parameters in both layouts, and the fields after them up to the implementation version."""

GP07_PARAMS = bytes.fromhex(
    "0a00000000000000"  # B_I item deposit = 10
    "0100000000000000"  # B_L byte deposit = 1
    "6400000000000000"  # B_S base deposit = 100
    "0200"  # C core count = 2
    "80700000"  # D = 28800
    "58020000"  # E epoch length = 600
    "8096980000000000"  # G_A = 10,000,000
    "80f0fa0200000000"  # G_I = 50,000,000
    "00f2052a01000000"  # G_R = 5,000,000,000
    "00c39dd000000000"  # G_T = 3,500,000,000
    "0800"
    "1000"
    "0800"
    "1000"  # H = 8, I = 16, J = 8, K = 16
    "40380000"  # L = 14400
    "0200"  # N = 2            (GP 0.7 only)
    "0800"
    "0600"
    "5000"
    "0a00"
    "8000"
    "0500"  # O = 8, P = 6, Q = 80, R = 10, T = 128, U = 5
    "ff03"  # V = 1023         (GP 0.7 only)
    "00fa0000"  # W_A = 64000
    "017cd200"  # W_B = 13794305
    "00093d00"  # W_C = 4000000
    "ac020000"  # W_E = 684        (GP 0.7 only)
    "000c0000"  # W_M = 3072
    "06000000"  # W_P = 6          (GP 0.7 only)
    "00c00000"  # W_R = 49152
    "80000000"  # W_T = 128
    "000c0000"  # W_X = 3072
    "f4010000"  # Y = 500
)
GP08_PARAMS = bytes.fromhex(
    "0a00000000000000"
    "0100000000000000"
    "6400000000000000"
    "0200"
    "80700000"
    "58020000"
    "8096980000000000"
    "80f0fa0200000000"
    "00f2052a01000000"
    "00c39dd000000000"
    "0800"
    "1000"
    "0800"
    "1000"
    "40380000"
    "0800"
    "0600"
    "5000"
    "0a00"
    "8000"
    "0500"
    "00fa0000"
    "017cd200"
    "00093d00"
    "000c0000"
    "00c00000"
    "80000000"
    "000c0000"
    "f4010000"
)
NODE_TAIL = bytes.fromhex(
    "11" * 32  # genesis header hash
    + "22" * 32  # peer id
    + "00000000000000000000ffff7f000001"
    "409c"  # ::ffff:127.0.0.1, port 40000
    + "01000000"  # flags: recompiler
    + "08"
    + b"PolkaJam".hex()
    + "05"
    + b"0.1.0".hex()
)
