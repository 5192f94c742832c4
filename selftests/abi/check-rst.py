#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Parses every reStructuredText file given and fails on any docutils
# warning or error (malformed tables, broken inline markup, ...).
import sys

import docutils.core
import docutils.utils

bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    try:
        docutils.core.publish_doctree(
            text, source_path=path,
            settings_overrides={"report_level": 2, "halt_level": 2,
                                "warning_stream": sys.stderr})
    except docutils.utils.SystemMessage as e:
        print("# %s" % str(e).splitlines()[0])
        bad += 1
print("# %d files, %d with problems" % (len(sys.argv) - 1, bad))
sys.exit(1 if bad else 0)
