#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# Cross-checks sls_aws's canonical forms against botocore: runs
# "t/unit/bin/sls_aws --dump" and, for each line, recomputes the canonical
# query with botocore's SigV4Auth (from the unencoded pairs) and the
# rendered path with botocore's percent_encode of each segment (what its
# REST serializer puts in a URI). TAP output.

import json
import os
import subprocess
import sys

from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from botocore.utils import percent_encode

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
out = subprocess.run([os.path.join(top, 't/unit/bin/sls_aws'), '--dump'],
                     check=True, capture_output=True).stdout.decode()
lines = [json.loads(l) for l in out.splitlines() if l]

auth = SigV4Auth(Credentials('AKID', 'SECRET'), 'svc', 'us-east-1')

print('1..%d' % len(lines))
n = 0
failed = 0

for v in lines:
    n += 1
    if 'pairs' in v:
        # botocore quotes str values; a byte string that is not UTF-8
        # goes through latin-1 so that quote() sees the same bytes
        pairs = []
        for k, val in v['pairs']:
            kb, vb = bytes.fromhex(k), bytes.fromhex(val)
            pairs.append((kb.decode('utf-8', 'surrogateescape'),
                          vb.decode('utf-8', 'surrogateescape')))
        want = auth._canonical_query_string_params(pairs)
        got = bytes.fromhex(v['query']).decode()
        what = 'query'
    else:
        path = bytes.fromhex(v['path']).decode('utf-8')
        segs = path.lstrip('/').split('/')
        want = '/' + '/'.join(percent_encode(s) for s in segs)
        got = bytes.fromhex(v['encoded']).decode()
        what = 'path'

    ok = want == got
    failed += not ok
    print('%s %d - botocore agrees: %s: %s'
          % ('ok' if ok else 'not ok', n, what, v['name']))
    if not ok:
        print('# botocore "%s", sls_aws "%s"' % (want, got))

sys.exit(1 if failed else 0)
