"""An injectable clock for tests: time moves only when a test moves it."""


class FrozenClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now
