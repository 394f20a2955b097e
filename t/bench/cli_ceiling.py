#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# The docker CLI's own ceiling for "docker exec -i c cat": the least a
# server can do for it. It answers the five requests the CLI makes and runs
# cat on the host with its stdin and stdout spliced to and from the socket
# in stdcopy frames, so no payload byte enters user space on this side.
# make bench measures the CLI against it next to sockerless.
#
#   cli_ceiling.py PORT     (127.0.0.1:PORT; runs until killed)

import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import sys
import termios
import threading

FRAME = 1 << 20


def reply(c, status, body):
    b = json.dumps(body).encode()
    c.sendall(b'HTTP/1.1 %d X\r\nApi-Version: 1.50\r\n'
              b'Content-Type: application/json\r\n'
              b'Content-Length: %d\r\n\r\n' % (status, len(b)) + b)


def pump_in(fd, w, proc):
    while os.splice(fd, w, FRAME) > 0:
        pass
    proc.stdin.close()


def hijack(c):
    c.sendall(b'HTTP/1.1 101 UPGRADED\r\n'
              b'Content-Type: application/vnd.docker.multiplexed-stream\r\n'
              b'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n')
    proc = subprocess.Popen(['cat'], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, bufsize=0)
    fd = c.fileno()
    th = threading.Thread(target=pump_in,
                          args=(fd, proc.stdin.fileno(), proc))
    th.start()
    out = proc.stdout.fileno()
    n = bytearray(4)
    while True:
        select.select([out], [], [])
        fcntl.ioctl(out, termios.FIONREAD, n)
        left = min(struct.unpack('i', bytes(n))[0], FRAME)
        if left == 0:
            break
        c.sendall(struct.pack('>BxxxL', 1, left))
        while left:
            left -= os.splice(out, fd, left)
    proc.wait()
    th.join()
    c.close()


def serve(c):
    buf = b''
    while True:
        while b'\r\n\r\n' not in buf:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        head, buf = buf.split(b'\r\n\r\n', 1)
        lines = head.decode().split('\r\n')
        method, path = lines[0].split(' ')[:2]
        length = 0
        for line in lines[1:]:
            k, _, v = line.partition(':')
            if k.strip().lower() == 'content-length':
                length = int(v)
        while len(buf) < length:
            buf += c.recv(65536)
        buf = buf[length:]
        path = path.split('?')[0]

        if path.endswith('/_ping'):
            c.sendall(b'HTTP/1.1 200 OK\r\nApi-Version: 1.50\r\n'
                      b'Ostype: linux\r\nContent-Length: 2\r\n\r\n'
                      + (b'' if method == 'HEAD' else b'OK'))
        elif path.endswith('/start'):
            hijack(c)
            return
        elif path.endswith('/exec'):
            reply(c, 201, {'Id': 'e' * 64})
        elif '/exec/' in path:
            reply(c, 200, {'ID': 'e' * 64, 'Running': False, 'ExitCode': 0})
        else:
            reply(c, 200, {'Id': 'c' * 64, 'State': {'Running': True},
                           'Config': {'Tty': False}})


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', int(sys.argv[1])))
    s.listen(16)
    print('ready', flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
