#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# Times POST /containers/create against several gateways, and one signed
# RegisterTaskDefinition straight to the AWS simulator, in alternating
# rounds on kept-alive connections, so that all of them see the same
# machine at the same moment. Prints one JSON object: for each target
# the list of wall times in ms (client side: request written to answer
# read), and the container ids created (for removal).
#
#   create_latency.py ROUNDS NAME=PORT=IMAGE ... [sim=PORT]
#
# The direct call is made by the curl command (libcurl signs it with
# --aws-sigv4, as the gateway's calls are signed) on a new connection,
# and timed by curl itself (time_total, without the process' start), so
# it measures the simulator's own path: its HTTP parsing, its duration_ms
# and the loopback, through the library the gateway calls with.

import http.client
import json
import os
import subprocess
import sys
import time


def direct(port, i):
    body = json.dumps({
        'family': 'bench-direct-%d' % i,
        'requiresCompatibilities': ['FARGATE'],
        'networkMode': 'awsvpc', 'cpu': '256', 'memory': '512',
        'containerDefinitions': [{
            'name': 'main', 'image': 'busybox',
            'entryPoint': ['/sockerless/agent', 'reverse', '--'],
            'command': ['true'], 'essential': True}]})
    r = subprocess.run([
        'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{time_total}',
        '--aws-sigv4', 'aws:amz:us-east-1:ecs',
        '--user', '%s:%s' % (os.environ['AWS_ACCESS_KEY_ID'],
                             os.environ['AWS_SECRET_ACCESS_KEY']),
        '-H', 'Content-Type: application/x-amz-json-1.1',
        '-H', 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.'
              'RegisterTaskDefinition',
        '--data-binary', body, 'http://127.0.0.1:%d/' % port],
        capture_output=True, text=True, check=True)
    code, total = r.stdout.split()
    if code != '200':
        sys.exit('sim: %s %s' % (code, r.stderr))
    return float(total) * 1000


def main():
    rounds = int(sys.argv[1])
    targets = []
    for arg in sys.argv[2:]:
        if arg.startswith('sim='):
            targets.append(('sim', int(arg[4:]), None))
        else:
            name, port, image = arg.split('=', 2)
            targets.append((name, int(port), image))

    conns = {n: http.client.HTTPConnection('127.0.0.1', p, timeout=60)
             for n, p, _ in targets if n != 'sim'}
    times = {n: [] for n, _, _ in targets}
    ids = {n: [] for n, _, _ in targets}
    order = []

    for i in range(rounds):
        for name, port, image in targets:
            if name == 'sim':
                times[name].append(direct(port, i))
                order.append(name)
                continue
            c = conns[name]
            body = json.dumps({'Image': image, 'Cmd': ['true']})
            headers = {'Content-Type': 'application/json'}
            path = '/containers/create'
            t0 = time.perf_counter()
            c.request('POST', path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            t1 = time.perf_counter()
            if r.status not in (200, 201):
                sys.exit('%s: %d %s' % (name, r.status, data[:300]))
            times[name].append((t1 - t0) * 1000)
            order.append(name)
            ids[name].append(json.loads(data)['Id'])

    print(json.dumps({'times': times, 'ids': ids, 'order': order}))


main()
