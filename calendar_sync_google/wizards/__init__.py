# The Google addon has no wizard of its own (the reset wizard lives in the base addon).
