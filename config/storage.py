"""Static files storage that works before and after ``collectstatic``."""
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestIfCollectedStorage(CompressedManifestStaticFilesStorage):
    """Hashed names once ``collectstatic`` has written its manifest; plain names before.

    Django's manifest storage raises (a 500 for the whole page) when no manifest exists; here
    the plain name is used instead and WhiteNoise serves the file from the app's static
    folder (``WHITENOISE_USE_FINDERS``), so the browsable API and /api/docs always render.
    """

    def stored_name(self, name):
        if not self.hashed_files:
            return name
        return super().stored_name(name)
