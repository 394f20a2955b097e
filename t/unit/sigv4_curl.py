#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# Runs t/unit/bin/sigv4_curl against a server on a free 127.0.0.1 port
# that verifies every request's SigV4 signature with botocore: it takes
# the headers the request says it signed, decodes the query into pairs,
# recomputes the signature at the request's own X-Amz-Date and answers 200
# when it matches, 403 otherwise (and 400 when a header that must be
# signed was not). The C program's TAP output is this script's.

import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SECRETS = {'AKIDEXAMPLE': 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}
AUTH = re.compile(r'^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/'
                  r'([^/]+)/aws4_request, SignedHeaders=([^,]+), '
                  r'Signature=([0-9a-f]{64})$')


def verify(method, raw_path, headers, body):
    m = AUTH.match(headers.get('Authorization', ''))
    if not m:
        return 403, 'no SigV4 Authorization header'
    akid, date, region, service, signed, sig = m.groups()
    if akid not in SECRETS:
        return 403, 'unknown access key'

    names = signed.split(';')
    if names != sorted(names):
        return 400, 'SignedHeaders not sorted'
    for h in headers.keys():
        lh = h.lower()
        if (lh.startswith('x-amz-') or lh in ('host', 'content-type')) \
                and lh not in names:
            return 400, '%s is not signed' % lh
    amz_date = headers.get('X-Amz-Date', '')
    if not amz_date.startswith(date):
        return 400, 'X-Amz-Date does not match the credential scope'

    parts = urlsplit(raw_path)
    pairs = []
    if parts.query:
        for p in parts.query.split('&'):
            k, _, v = p.partition('=')
            pairs.append((unquote(k), unquote(v)))

    req = AWSRequest(method=method,
                     url='http://%s%s' % (headers['Host'], parts.path),
                     headers={n: headers[n] for n in names}, data=body)
    req.params = pairs
    req.context['timestamp'] = amz_date

    auth = SigV4Auth(Credentials(akid, SECRETS[akid],
                                 headers.get('X-Amz-Security-Token')),
                     service, region)
    cr = auth.canonical_request(req)
    want = auth.signature(auth.string_to_sign(req, cr), req)
    if want != sig:
        return 403, 'signature mismatch; botocore canonical request:\n' + cr
    return 200, 'verified %s %s' % (service, region)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def handle_any(self):
        n = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(n) if n else b''
        status, text = verify(self.command, self.path, self.headers, body)
        out = text.encode()
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
rc = subprocess.call([os.path.join(top, 't/unit/bin/sigv4_curl'),
                      str(server.server_address[1])])
server.shutdown()
sys.exit(rc)
