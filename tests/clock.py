"""An injectable clock for tests: time moves only when a test moves it."""


class FrozenClock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
