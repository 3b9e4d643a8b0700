"""Free-text de-identification with presidio-analyzer, fully offline (blank spaCy pipelines).

tldextract (used by presidio's e-mail recognizer) reads this variable when it is imported: with it
empty, it uses its bundled public-suffix list instead of fetching one. Set here, before any submodule
imports presidio.
"""

import os

os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
