"""Representational similarity: RSMs and their comparison (:mod:`.rsa`), kernel alignment and CKA (:mod:`.cka`)."""
from .cka import *  # noqa: F401,F403
from .rsa import *  # noqa: F401,F403
