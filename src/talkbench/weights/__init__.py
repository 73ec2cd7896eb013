"""Official weight files: what they are (spec), which exist (catalog), where they are and how they load
(store), and how a user installs them (install). The bottom of the house: imports only errors and io."""
from .spec import BackboneRef, WeightsSpec

__all__ = ["BackboneRef", "WeightsSpec"]
