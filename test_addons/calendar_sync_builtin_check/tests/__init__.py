from . import test_google_builtin
from . import test_microsoft_builtin
