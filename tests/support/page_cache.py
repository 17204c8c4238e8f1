"""A stand-in for the web worker's listener, for tests of tart.web.api.page_cache alone."""

from tart.web.live.changes import Changes


class Listener:
    """What PageCache reads of tart.web.live.listener.Listener."""

    def __init__(self, committed_id):
        self.committed_id = committed_id
        self.changes = Changes()
        self.started = False

    def start(self):
        self.started = True
