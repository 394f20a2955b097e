#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# End-to-end check of sockerless-agent as root: a busybox rootfs, the status
# line, log records, exit files, and exec/stdin/signal/tty over WebSocket.
# Usage: agent_smoke.py [path/to/sockerless-agent]; TAP output.

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AGENT = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(TOP, 'agent', 'sockerless-agent')
TOKEN = 'smoke-token-0123456789abcdef'
CID = 'c0ffee' * 10 + 'abcd'

n_tests = 0
failed = 0


def ok(cond, name, diag=None):
    global n_tests, failed
    n_tests += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n_tests, name))
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines():
                print('#   ' + line)
    sys.stdout.flush()
    return cond


def make_rootfs(top):
    root = os.path.join(top, 'image')
    for d in ('bin', 'etc', 'tmp', 'root'):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy('/bin/busybox', os.path.join(root, 'bin', 'busybox'))
    out = subprocess.run([os.path.join(root, 'bin', 'busybox'), '--list'],
                         capture_output=True, text=True).stdout
    for name in out.split():
        p = os.path.join(root, 'bin', name)
        if not os.path.exists(p):
            os.symlink('busybox', p)
    with open(os.path.join(root, 'etc', 'passwd'), 'w') as f:
        f.write('root:x:0:0:root:/root:/bin/sh\n'
                'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'
                'app:x:1000:1000:app:/home/app:/bin/sh\n')
    with open(os.path.join(root, 'etc', 'group'), 'w') as f:
        f.write('root:x:0:\nnogroup:x:65534:\napp:x:1000:\n'
                'extra:x:2000:app\n')
    with open(os.path.join(root, 'etc', 'afile'), 'w') as f:
        f.write('x\n')
    return root


class Container:
    seq = 0

    def __init__(self, top, rootfs, cmd, **kw):
        Container.seq += 1
        self.dir = os.path.join(top, 'containers', 'c%d' % Container.seq)
        os.makedirs(self.dir)
        self.exit_dir = os.path.join(top, 'exits')
        os.makedirs(self.exit_dir, exist_ok=True)
        self.id = CID[:-2] + '%02d' % Container.seq
        self.conf = {
            'id': self.id, 'image_rootfs': rootfs,
            'container_dir': self.dir,
            'socket': os.path.join(self.dir, 'agent.sock'),
            'log': os.path.join(self.dir, 'container.log'),
            'exit_dir': self.exit_dir, 'cmd': cmd,
            'env': ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h1'],
            'workdir': '/', 'user': '', 'hostname': 'smokehost',
            'tty': False, 'open_stdin': False, 'stdin_once': False,
            'namespaces': True, 'hosts': '127.0.0.1\tlocalhost\n',
        }
        self.conf.update(kw)
        path = os.path.join(self.dir, 'agent.json')
        with open(path, 'w') as f:
            json.dump(self.conf, f)
        os.chmod(path, 0o600)
        self.status = self.start(path)

    def start(self, path):
        r, w = os.pipe()

        def child():
            os.dup2(w, 3)

        env = dict(os.environ, SOCKERLESS_AGENT_TOKEN=TOKEN)
        p = subprocess.Popen([AGENT, 'run', '--config', path,
                              '--status-fd', '3'],
                             preexec_fn=child, close_fds=False, env=env,
                             stdin=subprocess.DEVNULL)
        os.close(w)
        p.wait(10)
        data = b''
        while not data.endswith(b'\n'):
            chunk = os.read(r, 4096)
            if not chunk:
                break
            data += chunk
        os.close(r)
        try:
            return json.loads(data)
        except ValueError:
            return {'raw': data.decode(errors='replace')}

    def exit_file(self, name=None, timeout=10):
        path = os.path.join(self.exit_dir, name or self.id)
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(path):
                with open(path) as f:
                    return json.load(f)
            time.sleep(0.02)
        return None

    def log_records(self):
        recs = []
        with open(self.conf['log'], 'rb') as f:
            data = f.read()
        off = 0
        while off + 16 <= len(data):
            stream, pad, ln, ns = struct.unpack('>B3sIQ', data[off:off + 16])
            recs.append((stream, data[off + 16:off + 16 + ln], ns))
            off += 16 + ln
        return recs, off == len(data)

    def output(self, stream):
        recs, _ = self.log_records()
        return b''.join(p for s, p, _ in recs if s == stream)

    def kill(self):
        pid = self.status.get('pid')
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


class WS:
    def __init__(self, path, token=TOKEN, expect=101):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ('GET /v1 HTTP/1.1\r\nHost: agent\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
               'Sec-WebSocket-Version: 13\r\n' % key)
        if token is not None:
            req += 'Authorization: Bearer %s\r\n' % token
        self.s.sendall((req + '\r\n').encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            d = self.s.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b'\r\n\r\n')
        self.head = head.decode()
        self.code = int(self.head.split()[1]) if self.head else 0
        if self.code == 101:
            want = base64.b64encode(hashlib.sha1(
                (key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode())
                .digest()).decode()
            assert 'Sec-WebSocket-Accept: ' + want in self.head, self.head
        self.out = {}
        self.exits = {}
        self.msgs = []

    def send_frame(self, op, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack('>BB', 0x80 | op, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack('>BBH', 0x80 | op, 0x80 | 126, n)
        else:
            hdr = struct.pack('>BBQ', 0x80 | op, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.s.sendall(hdr + mask + body)

    def send(self, **msg):
        self.send_frame(1, json.dumps(msg).encode())

    def stdin(self, id, data):
        self.send_frame(2, bytes([0, len(id)]) + id.encode() + data)

    def recv_frame(self):
        while True:
            if len(self.buf) >= 2:
                op = self.buf[0] & 0x0f
                n = self.buf[1] & 0x7f
                off = 2
                if n == 126:
                    if len(self.buf) < 4:
                        n = None
                    else:
                        n = struct.unpack('>H', self.buf[2:4])[0]
                        off = 4
                elif n == 127:
                    if len(self.buf) < 10:
                        n = None
                    else:
                        n = struct.unpack('>Q', self.buf[2:10])[0]
                        off = 10
                if n is not None and len(self.buf) >= off + n:
                    payload = self.buf[off:off + n]
                    self.buf = self.buf[off + n:]
                    return op, payload
            d = self.s.recv(65536)
            if not d:
                return None, b''
            self.buf += d

    def pump(self, until):
        """read frames until until() is true; returns False on EOF"""
        while not until():
            op, p = self.recv_frame()
            if op is None or op == 8:
                return False
            if op == 2:
                stream, ln = p[0], p[1]
                id = p[2:2 + ln].decode()
                self.out.setdefault((id, stream), b'')
                self.out[(id, stream)] += p[2 + ln:]
            elif op == 1:
                m = json.loads(p)
                self.msgs.append(m)
                if m['type'] == 'exit':
                    self.exits[m['id']] = m['exitCode']
        return True

    def data(self, id, stream=1):
        return self.out.get((id, stream), b'')

    def msg(self, type, id):
        for m in self.msgs:
            if m.get('type') == type and m.get('id') == id:
                return m
        return None

    def exec(self, id, cmd, timeout=10, **kw):
        self.send(type='exec', id=id, cmd=cmd, **kw)
        self.pump(lambda: id in self.exits or self.msg('error', id))
        return self.exits.get(id), self.data(id, 1), self.data(id, 2)

    def close(self):
        self.s.close()


def main():
    if os.geteuid() != 0:
        print('1..0 # SKIP needs root')
        return 0
    if not os.path.exists(AGENT):
        print('1..0 # SKIP no agent at %s' % AGENT)
        return 0

    top = tempfile.mkdtemp(prefix='sla-smoke-')
    rootfs = make_rootfs(top)
    started = []

    try:
        run_tests(top, rootfs, started)
    finally:
        for c in started:
            c.kill()
        time.sleep(0.2)
        if os.environ.get('SLA_KEEP'):
            print('# kept ' + top)
        else:
            subprocess.run(['rm', '-rf', top])

    print('1..%d' % n_tests)
    return 1 if failed else 0


def run_tests(top, rootfs, started):
    def new(cmd, **kw):
        c = Container(top, rootfs, cmd, **kw)
        started.append(c)
        return c

    # 1. a short main process: status, log records, exit file
    c = new(['sh', '-c', 'echo hi; echo oops >&2; exit 3'])
    ok('pid' in c.status, 'status line has the pid', c.status)
    e = c.exit_file()
    ok(e is not None and e['exitCode'] == 3 and e['exec'] == ''
       and e['id'] == c.id and e['signal'] == 0
       and e['finishedAt'].endswith('Z'), 'exit file exitCode 3', e)
    recs, whole = c.log_records()
    ok(whole and c.output(1) == b'hi\n' and c.output(2) == b'oops\n',
       'log records hold stdout and stderr', recs)
    ok(all(abs(ns / 1e9 - time.time()) < 60 for _, _, ns in recs),
       'log record timestamps are now', recs)

    # 2. errors on the status line, in runc's words
    c = new(['nosuchcmd'])
    ok(c.status.get('error') ==
       'exec: "nosuchcmd": executable file not found in $PATH',
       'unknown command error', c.status)
    c = new(['/etc/afile'])
    ok('permission denied' in c.status.get('error', ''),
       'non-executable file error', c.status)
    c = new(['true'], workdir='/etc/afile')
    ok(c.status.get('error') == 'chdir to cwd ("/etc/afile") set in '
       'config.json failed: not a directory', 'bad workdir error', c.status)
    c = new(['true'], user='nobody2')
    ok(c.status.get('error') == 'unable to find user nobody2: no matching '
       'entries in passwd file', 'unknown user error', c.status)

    # 3. workdir created, user and groups, hostname, /etc files, pid 1
    c = new(['sh', '-c', 'pwd; id; hostname; cat /etc/hostname;'
             ' cat /etc/hosts; echo $$; env'],
            workdir='/new/dir', user='app')
    e = c.exit_file()
    out = c.output(1).decode()
    ok(e and e['exitCode'] == 0, 'main ran as app', (e, out, c.output(2)))
    lines = out.splitlines()
    ok(lines[:1] == ['/new/dir'], 'workdir is created', out)
    ok(len(lines) > 1 and lines[1].startswith('uid=1000(app) gid=1000(app)')
       and 'extra' in lines[1], 'user and supplementary groups', out)
    ok(lines[2:4] == ['smokehost', 'smokehost'], 'hostname', out)
    ok('127.0.0.1\tlocalhost' in out, '/etc/hosts written', out)
    ok(lines[5:6] == ['1'], 'main is pid 1', out)
    ok('SOCKERLESS_AGENT_TOKEN' not in out and 'HOME=/home/app' in out,
       'no token in env; HOME from passwd', out)

    # 4. a long-running container: exec, stdin, tty, signals
    c = new(['sleep', '1000'])
    ok('pid' in c.status, 'sleep container started', c.status)
    sock = c.conf['socket']
    ok(os.path.exists(sock) and (os.stat(sock).st_mode & 0o777) == 0o600,
       'socket mode 0600')

    w = WS(sock, token='wrong')
    ok(w.code == 401, 'wrong token is refused with 401', w.head)
    w.close()
    w = WS(sock, token=None)
    ok(w.code == 401, 'missing token is refused with 401', w.head)
    w.close()

    w = WS(sock)
    ok(w.code == 101, 'websocket upgrade', w.head)

    w.send(type='ping')
    w.pump(lambda: any(m['type'] == 'pong' for m in w.msgs))
    ok(any(m['type'] == 'pong' for m in w.msgs), 'ping -> pong')

    code, out, err = w.exec('e1', ['sh', '-c', 'echo out; echo err >&2;'
                                   ' exit 5'])
    ok(code == 5 and out == b'out\n' and err == b'err\n',
       'exec output and exit code', (code, out, err, w.msgs))
    st = w.msg('started', 'e1')
    ok(st is not None and st['pid'] > 1, 'started carries the host pid', st)
    e = c.exit_file('e1')
    ok(e and e['exec'] == 'e1' and e['exitCode'] == 5 and e['id'] == c.id,
       'exec exit file', e)

    code, out, _ = w.exec('e2', ['hostname'])
    ok(out == b'smokehost\n', 'exec hostname', out)
    code, out, _ = w.exec('e3', ['env'], env=['FOO=bar', 'HOSTNAME=h2'])
    ok(b'SOCKERLESS_AGENT_TOKEN' not in out and b'FOO=bar' in out
       and b'HOSTNAME=h2' in out and b'HOSTNAME=h1' not in out,
       'exec env merges, no token', out)
    code, out, _ = w.exec('e4', ['cat', '/proc/1/cmdline'])
    ok(out == b'sleep\x001000\x00', '/proc shows pid 1 of the container',
       out)
    code, out, _ = w.exec('e5', ['sh', '-c', 'ls /proc | grep -c "^[0-9]"'])
    ok(code == 0 and int(out or b'99') <= 4, 'only container processes in '
       '/proc', out)

    code, out, err = w.exec('e6', ['nosuch'])
    m = w.msg('error', 'e6')
    ok(m is not None and m['message'] ==
       'exec: "nosuch": executable file not found in $PATH',
       'exec of an unknown command', w.msgs[-1])

    # stdin round trip with cat
    w.send(type='exec', id='e7', cmd=['cat'], stdin=True)
    w.pump(lambda: w.msg('started', 'e7') or w.msg('error', 'e7'))
    w.stdin('e7', b'hello ')
    w.stdin('e7', b'')
    w.stdin('e7', b'world\n')
    w.pump(lambda: w.data('e7') == b'hello world\n')
    ok(w.data('e7') == b'hello world\n', 'stdin round trip', w.data('e7'))
    big = os.urandom(48 * 1024).hex().encode()
    w.out.pop(('e7', 1))
    for i in range(0, len(big), 60000):
        w.stdin('e7', big[i:i + 60000])
    w.send(type='stdin_close', id='e7')
    w.pump(lambda: 'e7' in w.exits)
    ok(w.data('e7') == big and w.exits.get('e7') == 0,
       'large stdin then stdin_close', len(w.data('e7')))

    # signal an exec
    w.send(type='exec', id='e8', cmd=['sleep', '100'])
    w.pump(lambda: w.msg('started', 'e8'))
    w.send(type='signal', id='e8', signal=9)
    w.pump(lambda: 'e8' in w.exits)
    ok(w.exits.get('e8') == 137, 'signal 9 -> exitCode 137', w.exits)
    e = c.exit_file('e8')
    ok(e and e['signal'] == 9 and e['exitCode'] == 137, 'signal in exit file',
       e)

    # tty exec
    w.send(type='exec', id='e9', cmd=['sh', '-c', 'tty; stty size'],
           tty=True)
    w.pump(lambda: w.msg('started', 'e9') or w.msg('error', 'e9'))
    w.send(type='resize', id='e9', height=33, width=111)
    w.pump(lambda: 'e9' in w.exits)
    out = w.data('e9')
    ok(out.startswith(b'/dev/pts/') and w.data('e9', 2) == b'',
       'tty exec sees a pty, all output on stream 1', out)

    w.send(type='exec', id='e10', cmd=['sh', '-c',
                                       'read l; echo "[$l]"; stty size'],
           tty=True, stdin=True)
    w.pump(lambda: w.msg('started', 'e10'))
    w.send(type='resize', id='e10', height=40, width=120)
    w.stdin('e10', b'abc\r')
    w.pump(lambda: 'e10' in w.exits)
    out = w.data('e10')
    ok(b'[abc]' in out and b'40 120' in out, 'tty stdin and resize', out)

    # back-pressure: a reader that does not read blocks the exec
    w.send(type='exec', id='big', cmd=['head', '-c', '6000000', '/dev/zero'])
    w.pump(lambda: w.msg('started', 'big'))
    time.sleep(1)
    ok(not os.path.exists(os.path.join(c.exit_dir, 'big')),
       'an unread connection blocks the exec (back-pressure)')
    w.pump(lambda: 'big' in w.exits)
    ok(len(w.data('big')) == 6000000 and w.exits['big'] == 0,
       'no output is dropped', len(w.data('big')))

    # attach to main, with a second connection; malformed input
    w.send(type='attach', id='main', stdin=False, stdout=True, stderr=True,
           logs=True)
    w.send(type='bogus', id='x')
    w.pump(lambda: w.msg('error', 'x') or w.msg('error', ''))
    ok(w.msg('error', '') is not None, 'unknown message type is an error',
       w.msgs[-1])

    w2 = WS(sock)
    w2.send(type='attach', id='main', stdout=True, stderr=True)
    w2.send(type='ping')
    w2.pump(lambda: any(m['type'] == 'pong' for m in w2.msgs))

    # a protocol error (unmasked frame) closes with 1002
    w3 = WS(sock)
    w3.s.sendall(b'\x81\x02{}')
    op, p = w3.recv_frame()
    ok(op == 8 and p[:2] == b'\x03\xea', 'unmasked frame -> close 1002',
       (op, p))
    w3.close()

    # main killed: both attached connections see the exit
    w.send(type='signal', id='main', signal=9)
    w.pump(lambda: 'main' in w.exits)
    w2.pump(lambda: 'main' in w2.exits)
    ok(w.exits.get('main') == 137 and w2.exits.get('main') == 137,
       'exit of main reaches every attached connection',
       (w.exits, w2.exits))
    e = c.exit_file()
    ok(e and e['exitCode'] == 137, 'main exit file', e)
    end = time.time() + 5
    while os.path.exists(sock) and time.time() < end:
        time.sleep(0.02)
    ok(not os.path.exists(sock), 'socket removed after exit')
    w.close()
    w2.close()

    # 5. open_stdin main with attach; upper dir persists
    c = new(['sh', '-c', 'cat; echo persisted > /tmp/f'], open_stdin=True,
            stdin_once=True)
    w = WS(c.conf['socket'])
    w.send(type='attach', id='main', stdin=True, stdout=True, stderr=True)
    w.stdin('main', b'line1\n')
    w.pump(lambda: w.data('main') == b'line1\n')
    w.send(type='stdin_close', id='main')
    w.pump(lambda: 'main' in w.exits)
    ok(w.data('main') == b'line1\n' and w.exits.get('main') == 0,
       'attach stdin to main, stdin_close ends cat', (w.data('main'),
                                                       w.exits))
    w.close()
    ok(c.output(1) == b'line1\n', 'attached output is in the log too')
    with open(os.path.join(c.dir, 'upper', 'tmp', 'f')) as f:
        ok(f.read() == 'persisted\n', 'writes land in upper/')
    ok(not os.path.exists(os.path.join(rootfs, 'tmp', 'f')),
       'image rootfs untouched')

    # 6. tty main
    c = new(['sh', '-c', 'tty; echo x >&2'], tty=True)
    e = c.exit_file()
    out = c.output(1)
    ok(e and e['exitCode'] == 0 and out.startswith(b'/dev/pts/')
       and b'x\r\n' in out and c.output(2) == b'', 'tty main: stream 1 only',
       out)

    # 7. a container without a rootfs still gets namespaces
    c = new(['sh', '-c', 'echo $$; hostname'], image_rootfs='')
    e = c.exit_file()
    ok(e and c.output(1) == b'1\nsmokehost\n',
       'no rootfs: host fs, own pid and uts namespaces', c.output(1))

    # 8. user namespace path (namespaces false)
    c = new(['sh', '-c', 'echo $$; id -u'], namespaces=False)
    e = c.exit_file()
    ok(e and c.output(1) == b'1\n0\n', 'namespaces false: user namespace',
       (c.status, c.output(1), c.output(2)))


if __name__ == '__main__':
    sys.exit(main())
