# The base addon serves no routes: each provider addon owns its OAuth and webhook routes
# (they share the checks in ``access`` and the page in ``failure_page``).
