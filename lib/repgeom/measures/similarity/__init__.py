"""Representational similarity: RSMs and their comparison (:mod:`.rsa`), kernel alignment and CKA (:mod:`.cka`),
Gram matrices from their upper triangle (:mod:`.gram_matrix`)."""
from .cka import *  # noqa: F401,F403
from .gram_matrix import *  # noqa: F401,F403
from .rsa import *  # noqa: F401,F403
