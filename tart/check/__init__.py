"""`tart check`: is a node's JIP-3 encoder right? A conformance report on one connection's
frames, from a capture file or a live connection, decoded exactly as the service decodes them.

``capture.py`` splits a byte stream into frames, ``conformance.py`` checks them and builds the
report, ``render.py`` prints it for people, ``listen.py`` takes a node's connection, ``run.py``
puts these together for a file or a connection, and ``command.py`` is the command line.
"""
