#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# sockerless-agent in reverse mode against a fake gateway on 127.0.0.1:
# the park request, WebSocket sessions on parked connections (attach with
# logs, exec with stdin, signals), parking again, the exit report, refused
# and absent gateways, the environment children see, the agent's stdout.
# Usage: agent_reverse.py [path/to/sockerless-agent]; TAP output.

import base64
import hashlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import agent_smoke                      # noqa: E402  (its WebSocket client)
from agent_smoke import ok              # noqa: E402

TOP = agent_smoke.TOP
AGENT = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(TOP, 'agent', 'sockerless-agent')
TOKEN = 'reverse-token-0123456789abcdef'
CID = 'feedface' * 8
WAIT = 20


class Gateway:
    """accepts parks (answers from park_answers, then 101) and exit
    reports (answers from exit_answers, then 200); records everything"""

    def __init__(self, port=0, park_answers=(), exit_answers=(),
                 eager=False):
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(('127.0.0.1', port))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        self.eager = eager
        self.park_answers = list(park_answers)
        self.exit_answers = list(exit_answers)
        self.requests = []
        self.parks = queue.Queue()
        self.exits = queue.Queue()
        self.refused = queue.Queue()
        self.lock = threading.Lock()
        t = threading.Thread(target=self.serve, daemon=True)
        t.start()

    def serve(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,),
                             daemon=True).start()

    def handle(self, c):
        c.settimeout(WAIT)
        data = b''
        try:
            while b'\r\n\r\n' not in data:
                d = c.recv(4096)
                if not d:
                    c.close()
                    return
                data += d
        except OSError:
            c.close()
            return
        head, _, rest = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        req = {'raw': head + b'\r\n\r\n', 'line': lines[0], 'headers': {},
               'names': [], 'rest': rest}
        for line in lines[1:]:
            k, _, v = line.partition(':')
            req['headers'][k.strip().lower()] = v.strip()
            req['names'].append(k.strip())
        with self.lock:
            self.requests.append(req)
        if lines[0].startswith('POST '):
            n = int(req['headers'].get('content-length', '0'))
            body = rest
            while len(body) < n:
                d = c.recv(4096)
                if not d:
                    break
                body += d
            req['body'] = body
            with self.lock:
                status = self.exit_answers.pop(0) if self.exit_answers \
                    else 200
            req['status'] = status
            c.sendall(b'HTTP/1.1 %d X\r\nContent-Length: 0\r\n'
                      b'Connection: close\r\n\r\n' % status)
            c.close()
            self.exits.put(req)
            return
        with self.lock:
            status = self.park_answers.pop(0) if self.park_answers else 101
        req['status'] = status
        if status != 101:
            c.sendall(b'HTTP/1.1 %d X\r\nContent-Length: 0\r\n'
                      b'Connection: close\r\n\r\n' % status)
            c.close()
            self.refused.put(req)
            return
        answer = (b'HTTP/1.1 101 Switching Protocols\r\n'
                  b'Connection: Upgrade\r\nUpgrade: sockerless-agent\r\n\r\n')
        if self.eager:
            # the WebSocket request in the same segment as the answer
            key = ws_key()
            req['ws_key'] = key
            answer += ws_request(key)
        c.sendall(answer)
        c.settimeout(None)
        self.parks.put((req, c))

    def park(self, timeout=WAIT):
        try:
            return self.parks.get(timeout=timeout)
        except queue.Empty:
            return None, None

    def exit(self, timeout=WAIT):
        try:
            return self.exits.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self.ls.close()


def ws_key():
    return base64.b64encode(os.urandom(16)).decode()


def ws_request(key, token=TOKEN):
    return ('GET /agent HTTP/1.1\r\nHost: agent\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
            'Sec-WebSocket-Version: 13\r\n'
            'Authorization: Bearer %s\r\n\r\n' % (key, token)).encode()


class ParkWS(agent_smoke.WS):
    """the WebSocket client side, on a parked connection; sent_key: the
    gateway has sent the request already"""

    def __init__(self, sock, token=TOKEN, sent_key=None):
        self.s = sock
        self.s.settimeout(WAIT)
        key = sent_key or ws_key()
        if sent_key is None:
            self.s.sendall(ws_request(key, token))
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            d = self.s.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b'\r\n\r\n')
        self.head = head.decode()
        self.code = int(self.head.split()[1]) if self.head else 0
        want = base64.b64encode(hashlib.sha1(
            (key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode())
            .digest()).decode()
        self.accepted = 'Sec-WebSocket-Accept: ' + want in self.head
        self.out = {}
        self.exits = {}
        self.msgs = []


class Agent:
    def __init__(self, port, cmd, prefix='', config=None, url=None,
                 extra_env=None, log=None, preexec=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('SOCKERLESS_')}
        env.update({
            'SOCKERLESS_CALLBACK_URL':
                url or 'http://127.0.0.1:%d%s' % (port, prefix),
            'SOCKERLESS_AGENT_TOKEN': TOKEN,
            'SOCKERLESS_CONTAINER_ID': CID,
            'SOCKERLESS_OTHER': 'must-not-leak',
            'PATH': '/usr/sbin:/usr/bin:/sbin:/bin',
        })
        if config is not None:
            env['SOCKERLESS_AGENT_CONFIG'] = json.dumps(config)
        if log:
            env['SOCKERLESS_AGENT_LOG'] = log
        env.update(extra_env or {})
        self.p = subprocess.Popen([AGENT, 'reverse', '--'] + cmd, env=env,
                                  preexec_fn=preexec,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.out = b''
        self.err = b''
        self.rc = None

    def finish(self, timeout=WAIT):
        try:
            self.out, self.err = self.p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.out, self.err = self.p.communicate()
        self.rc = self.p.returncode
        return self.rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()


def ppid_of(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return int(f.read().rsplit(')', 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def env_clean(text):
    return 'SOCKERLESS' not in text and TOKEN not in text


def test_sessions(top):
    """one container's life on parked connections"""
    gw = Gateway()
    log = os.path.join(top, 'agent1.log')
    envfile = os.path.join(top, 'main-env')
    script = ('trap "echo got-term; exit 42" TERM; echo hello; '
              'echo oops >&2; env > %s; '
              'while :; do sleep 0.05; done' % envfile)
    a = Agent(gw.port, ['sh', '-c', script], prefix='/pfx/',
              config={'env': ['EXTRA=1'], 'workdir': top,
                      'open_stdin': True}, log=log)
    try:
        req, sock = gw.park()
        ok(req is not None, 'the agent parks a connection')
        if req is None:
            return
        ok(req['line'] == 'GET /pfx/_sockerless/agent/%s HTTP/1.1' % CID,
           'park request line with the prefix', req['line'])
        h = req['headers']
        ok(h.get('host') == '127.0.0.1:%d' % gw.port
           and h.get('authorization') == 'Bearer ' + TOKEN
           and h.get('connection') == 'Upgrade'
           and h.get('upgrade') == 'sockerless-agent'
           and req['names'] == ['Host', 'Authorization', 'Connection',
                                'Upgrade', 'Sockerless-Agent-Pid'],
           'park request headers, exactly these', req['raw'])
        pid = int(h.get('sockerless-agent-pid', '0'))
        ok(pid > 0 and ppid_of(pid) == a.p.pid,
           'Sockerless-Agent-Pid is the main process, the agent\'s child',
           (pid, ppid_of(pid), a.p.pid))

        # nothing used yet: still one park only
        req2, _ = gw.park(timeout=0.5)
        ok(req2 is None, 'one idle park at a time')

        ws = ParkWS(sock)
        ok(ws.code == 101 and ws.accepted,
           'WebSocket handshake with the token on the parked connection',
           ws.head)
        req2, sock2 = gw.park()
        ok(req2 is not None, 'a new park once the first was used')

        ws.send(type='attach', id='main', stdin=True, stdout=True,
                stderr=True, logs=True)
        ws.pump(lambda: b'hello\n' in ws.data('main', 1)
                and b'oops\n' in ws.data('main', 2))
        ok(ws.data('main', 1).startswith(b'hello\n')
           and ws.data('main', 2) == b'oops\n',
           'attach with logs replays the early output',
           (ws.data('main', 1), ws.data('main', 2)))

        # an exec on the second park: stdin, output, exit code
        ws2 = ParkWS(sock2) if sock2 else None
        ok(ws2 is not None and ws2.code == 101, 'second park serves too')
        if ws2 is None:
            return
        ws2.send(type='exec', id='e1', cmd=['cat'], stdin=True)
        ws2.pump(lambda: ws2.msg('started', 'e1')
                 or ws2.msg('error', 'e1'))
        ws2.stdin('e1', b'abc\n')
        ws2.send(type='stdin_close', id='e1')
        ws2.pump(lambda: 'e1' in ws2.exits)
        ok(ws2.exits.get('e1') == 0 and ws2.data('e1') == b'abc\n',
           'exec cat with stdin', (ws2.exits, ws2.data('e1')))

        code, out, _ = ws2.exec('e2', ['sh', '-c', 'pwd; exit 7'])
        ok(code == 7 and out == (top + '\n').encode(),
           'exec exit code 7 in the configured workdir', (code, out))

        code, out, _ = ws2.exec('e3', ['env'])
        text = out.decode(errors='replace')
        ok(code == 0 and env_clean(text) and 'EXTRA=1' in text,
           'an exec sees no SOCKERLESS_* and no token', text)

        # a signal ends main: its handler's output, exit to the attacher
        ws2.send(type='signal', id='main', signal=15)
        ws.pump(lambda: 'main' in ws.exits)
        ok(ws.exits.get('main') == 42
           and ws.data('main', 1).endswith(b'got-term\n'),
           'signal 15 reaches main, exit 42 to the attached session',
           (ws.exits, ws.data('main', 1)))

        e = gw.exit()
        ok(e is not None, 'the exit is reported')
        if e is None:
            return
        ok(e['line'] == 'POST /pfx/_sockerless/agent/%s/exit HTTP/1.1' % CID
           and e['headers'].get('authorization') == 'Bearer ' + TOKEN
           and e['headers'].get('content-type') == 'application/json'
           and e['headers'].get('connection') == 'close'
           and e['headers'].get('host') == '127.0.0.1:%d' % gw.port
           and int(e['headers'].get('content-length', -1))
           == len(e['body']),
           'exit report request line and headers', e['raw'])
        body = json.loads(e['body'])
        ok(body.get('id') == CID and body.get('exec') == ''
           and body.get('exitCode') == 42 and body.get('signal') == 0
           and body.get('oomKilled') is False and body.get('error') == ''
           and re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$',
                        body.get('finishedAt', '')),
           'exit report body is the exit file', e['body'])

        rc = a.finish()
        ok(rc == 42, 'the agent exits with main\'s exit code', rc)
        ok(a.out == b'hello\ngot-term\n',
           'the agent\'s stdout is exactly main\'s stdout', a.out)
        ok(a.err == b'oops\n',
           'the agent\'s stderr is exactly main\'s stderr', a.err)
        with open(envfile) as f:
            text = f.read()
        ok(env_clean(text) and 'EXTRA=1' in text and 'PATH=' in text,
           'main sees no SOCKERLESS_* and no token, and the config env',
           text)
        with open(log) as f:
            text = f.read()
        ok('parked a connection' in text and 'exit reported' in text
           and TOKEN not in text,
           'SOCKERLESS_AGENT_LOG has the agent\'s lines, not the token',
           text)
        parks = [r for r in gw.requests if r['line'].startswith('GET')]
        ok(all(r['status'] == 101 for r in parks),
           'no park refused', [r['line'] for r in parks])
        req3, sock3 = gw.park(timeout=1)
        got = None
        if sock3:
            sock3.settimeout(WAIT)
            got = sock3.recv(1)
        ok(req3 is not None and got == b'',
           'the idle park is closed when the agent is done', got)
    finally:
        a.kill()
        gw.close()


def test_refused(top):
    """401 first: main runs on, the agent parks when the gateway agrees"""
    gw = Gateway(park_answers=[401])
    a = Agent(gw.port, ['sh', '-c', 'echo up; exec sleep 600'])
    try:
        try:
            r = gw.refused.get(timeout=WAIT)
        except queue.Empty:
            r = None
        ok(r is not None and r['status'] == 401, 'a park is refused')
        req, sock = gw.park()
        ok(req is not None and a.p.poll() is None,
           'after the 401 the agent parks again, still running')
        if req is None:
            return
        ws = ParkWS(sock)
        ws.send(type='signal', id='main', signal=9)
        e = gw.exit()
        body = json.loads(e['body']) if e else {}
        ok(body.get('exitCode') == 137 and body.get('signal') == 9,
           'SIGKILL: exitCode 137, signal 9 in the report', body)
        rc = a.finish()
        ok(rc == 137 and a.out == b'up\n',
           'the agent exits 137, its stdout is main\'s', (rc, a.out))
    finally:
        a.kill()
        gw.close()


def test_gateway_down(top):
    """no gateway at first; stop by SIGTERM to the agent; report retried"""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()

    a = Agent(port, ['sh', '-c', 'trap "echo bye; exit 3" TERM; echo early; '
                     'while :; do sleep 0.05; done'])
    gw = None
    try:
        # the agent's dials fail while nothing listens
        time.sleep(0.5)
        ok(a.p.poll() is None, 'the agent runs while the gateway is down')
        gw = Gateway(port=port, exit_answers=[500])
        req, sock = gw.park()
        ok(req is not None, 'the agent parks once the gateway is up')
        if req is None:
            return
        ws = ParkWS(sock)
        ws.send(type='attach', id='main', stdout=True, stderr=True,
                logs=True)
        ws.pump(lambda: b'early\n' in ws.data('main', 1))
        ok(ws.data('main', 1) == b'early\n', 'early output from the ring',
           ws.data('main', 1))

        a.p.send_signal(signal.SIGTERM)
        ws.pump(lambda: 'main' in ws.exits)
        ok(ws.exits.get('main') == 3,
           'SIGTERM to the agent reaches main (the cloud\'s stop)',
           ws.exits)
        e1 = gw.exit()
        e2 = gw.exit()
        ok(e1 is not None and e1['status'] == 500 and e2 is not None
           and e2['status'] == 200 and e1['body'] == e2['body'],
           'a failed exit report is sent again',
           (e1 and e1['status'], e2 and e2['status']))
        rc = a.finish()
        ok(rc == 3 and a.out == b'early\nbye\n',
           'exit code 3, stdout is main\'s', (rc, a.out))
    finally:
        a.kill()
        if gw:
            gw.close()


def test_errors(top):
    a = Agent(1, ['true'], url='https://127.0.0.1:1')
    rc = a.finish()
    ok(rc == 125 and b'https is not supported' in a.err and a.out == b'',
       'https: exit 125 with the reason on stderr', (rc, a.err))

    a = Agent(1, ['true'], extra_env={'SOCKERLESS_CONTAINER_ID': 'abc'})
    rc = a.finish()
    ok(rc == 125 and b'SOCKERLESS_CONTAINER_ID' in a.err,
       'a bad container id: exit 125', (rc, a.err))

    a = Agent(1, ['true'], config={'tty': 'yes'})
    rc = a.finish()
    ok(rc == 125 and b'SOCKERLESS_AGENT_CONFIG: "tty" must be a boolean'
       in a.err, 'a bad config: exit 125', (rc, a.err))

    gw = Gateway()
    a = Agent(gw.port, ['nosuchcmd-sockerless'])
    try:
        e = gw.exit()
        body = json.loads(e['body']) if e else {}
        want = ('exec: "nosuchcmd-sockerless": executable file not found '
                'in $PATH')
        ok(body.get('exitCode') == 127 and body.get('error') == want,
           'a command not found is reported: 127 and runc\'s words', body)
        rc = a.finish()
        ok(rc == 127 and a.out == b'' and want.encode() in a.err,
           'the agent exits 127 and says why on stderr', (rc, a.err))
        ok(not any(r['line'].startswith('GET') for r in gw.requests),
           'no park without a main process')
    finally:
        a.kill()
        gw.close()


def test_tty(top):
    """a tty; the gateway by name (localhost, which may be ::1 first)"""
    gw = Gateway()
    a = Agent(gw.port, ['sh', '-c', 'test -t 0 && test -t 1 && echo is-tty'],
              config={'tty': True}, url='http://localhost:%d' % gw.port)
    try:
        e = gw.exit()
        body = json.loads(e['body']) if e else {}
        rc = a.finish()
        ok(rc == 0 and body.get('exitCode') == 0
           and a.out == b'is-tty\r\n' and a.err == b'',
           'tty: the pty\'s output on stdout', (rc, a.out, a.err))
    finally:
        a.kill()
        gw.close()


def test_bulk(top):
    """more output than a pipe holds, read slowly: nothing lost"""
    gw = Gateway()
    a = Agent(gw.port, ['sh', '-c', 'head -c 3000000 /dev/zero | tr "\\0" x;'
                        ' head -c 1000000 /dev/zero | tr "\\0" y >&2'])
    try:
        time.sleep(0.3)
        rc = a.finish()
        ok(rc == 0 and a.out == b'x' * 3000000 and a.err == b'y' * 1000000,
           '3 MB of stdout and 1 MB of stderr, whole',
           (rc, len(a.out), len(a.err)))
    finally:
        a.kill()
        gw.close()


def test_eager(top):
    """the WebSocket request right behind the 101, in one segment"""
    gw = Gateway(eager=True)
    a = Agent(gw.port, ['sh', '-c', 'echo eager; exec sleep 600'])
    try:
        req, sock = gw.park()
        ws = ParkWS(sock, sent_key=req and req['ws_key'])
        ok(req is not None and ws.code == 101 and ws.accepted,
           'a WebSocket request sent with the 101 is served', ws.head)
        req2, _ = gw.park()
        ok(req2 is not None, 'and counts as the park\'s first byte')
        ws.send(type='attach', id='main', stdout=True, stderr=True,
                logs=True)
        ws.pump(lambda: b'eager\n' in ws.data('main', 1))
        ws.send(type='signal', id='main', signal=9)
        ws.pump(lambda: 'main' in ws.exits)
        rc = a.finish()
        ok(rc == 137 and ws.data('main', 1) == b'eager\n',
           'attach and signal on it', (rc, ws.data('main', 1)))
    finally:
        a.kill()
        gw.close()


def test_not_root(top):
    """no user: the agent's own ids (a Lambda is not root)"""
    if os.geteuid() != 0:
        ok(True, '# SKIP needs root to become nobody')
        return
    gw = Gateway()
    a = Agent(gw.port, ['sh', '-c', 'id -u; id -g'],
              preexec=lambda: (os.setgroups([]), os.setgid(65534),
                               os.setuid(65534)))
    try:
        e = gw.exit()
        body = json.loads(e['body']) if e else {}
        rc = a.finish()
        ok(rc == 0 and body.get('exitCode') == 0
           and a.out == b'65534\n65534\n',
           'run by nobody, main runs as nobody', (rc, a.out, a.err))
    finally:
        a.kill()
        gw.close()


def main():
    if not os.path.exists(AGENT):
        print('1..0 # SKIP no agent at %s' % AGENT)
        return 0

    top = tempfile.mkdtemp(prefix='sla-reverse-')
    try:
        test_sessions(top)
        test_refused(top)
        test_gateway_down(top)
        test_errors(top)
        test_tty(top)
        test_bulk(top)
        test_eager(top)
        test_not_root(top)
    finally:
        subprocess.run(['rm', '-rf', top])

    print('1..%d' % agent_smoke.n_tests)
    return 1 if agent_smoke.failed else 0


if __name__ == '__main__':
    sys.exit(main())
