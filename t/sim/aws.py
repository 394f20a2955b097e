#!/usr/bin/env python3
# Copyright (C) sockerless contributors
"""AWS simulator for the ECS and Lambda backends of sockerless.

One HTTP server speaks three AWS services with their real wire formats
(botocore's service models are the authority for names and shapes):

  ECS              JSON 1.1, X-Amz-Target AmazonEC2ContainerServiceV20141113.*
  CloudWatch Logs  JSON 1.1, X-Amz-Target Logs_20140328.*
  Lambda           REST JSON, /2015-03-31/functions..., /2017-03-31/tags/...

Every ECS task and every Lambda invocation runs FOR REAL as a local process
group; its stdout and stderr lines become CloudWatch Logs events.

Usage:
  python3 t/sim/aws.py --port 0 --state-dir DIR [--region us-east-1]
      [--account 123456789012] [--access-key AKID --secret-key SECRET]
      [--map /sockerless/agent=/abs/path/to/sockerless-agent] [--map ...]
      [--delay 0.05] [--stop-timeout 30]

  Prints one line {"port": N} on stdout once listening (port 0 picks a free
  port) and appends one JSON object per request to DIR/requests.jsonl:
  {"time", "service", "action", "status", "duration_ms"}.  The default
  credentials are AKIDSOCKERLESS / sockerless-secret.  SIGTERM and SIGINT
  kill every task and invocation process group, then exit.
  docs/simulators.md documents every operation and answer.

Requests are told apart by the service of the SigV4 credential scope
(Credential=AKID/DATE/REGION/SERVICE/aws4_request) and, for JSON 1.1, by
X-Amz-Target.  Every signature is recomputed with botocore's SigV4Auth at the
request's X-Amz-Date over the headers the request lists in SignedHeaders
(path double-encoded, query decoded and re-encoded, as AWS does) and compared
in constant time.  Errors: unknown access key -> 403
UnrecognizedClientException, bad signature or a scope for another region ->
403 InvalidSignatureException, no Authorization header -> 403
MissingAuthenticationTokenException.  X-Amz-Security-Token is accepted with
any value when it is signed.

Admin endpoints (no signature):
  POST   /_sim/faults    {"service": "ecs"|"logs"|"lambda"|"*",
                          "action": "RunTask"|"*",
                          "kind": "throttle"|"500"|"slow",
                          "count": N, "delay": seconds}
                         throttle: 400 ThrottlingException "Rate exceeded"
                         (JSON 1.1) or 429 TooManyRequestsException
                         (Lambda); 500: InternalFailure (JSON 1.1) or
                         ServiceException (Lambda); slow: sleeps delay, then
                         answers normally.  The fault hits the next N
                         requests that match (signature checked first).
  DELETE /_sim/faults    clears every fault
  GET    /_sim/requests  the request log (a JSON array)
  GET    /_sim/tasks     the internal task table (argv, pids, exit codes)

Deviations from AWS, on purpose:
  - Request bodies need a Content-Length (chunked bodies are a 411).
  - Only launchType FARGATE runs a task; any other launch type fails as ECS
    does on a cluster without container instances ("No Container Instances
    were found in your cluster.").  Services, capacity providers, container
    instances, volumes and secrets are not simulated.
  - A container runs entryPoint + command of its definition (with the
    containerOverrides' command and environment applied); the image is not
    pulled and its own entrypoint is unknown: both empty -> the task stops
    with stopCode TaskFailedToStart, stoppedReason
    "CannotStartContainerError: no command".  The first argv element is
    mapped through --map (exact match).  Environment: PATH, HOME,
    AWS_REGION, AWS_DEFAULT_REGION, AWS_EXECUTION_ENV=AWS_ECS_FARGATE, then
    the definition's environment, then the override's.  No metadata
    endpoint.  All essential containers run; the first essential exit
    stops the task and SIGTERMs the others.
  - Log events keep the order they were written in; GetLogEvents tokens are
    f/<index> and b/<index> into the stream (AWS's are longer, also opaque).
    FilterLogEvents understands a filterPattern of plain words (every word
    must appear, quoted phrases allowed); any other pattern syntax is
    InvalidParameterException.  Nothing is persisted across restarts.
  - Lambda: no Runtime API.  Each invocation starts ImageConfig EntryPoint +
    Command (with --map) as a new process with the payload on stdin
    (closed after it), in a new log stream YYYY/MM/DD/[$LATEST]<32 hex> of
    /aws/lambda/NAME with START/END/REPORT lines.  Exit 0 -> 200 and the
    response payload is the last line the process wrote on stdout when that
    line is valid JSON, else the JSON null.  Non-zero exit -> 200,
    X-Amz-Function-Error: Unhandled, payload Runtime.ExitError.  Timeout ->
    process group killed, 200, X-Amz-Function-Error: Unhandled, payload
    {"errorType": "Sandbox.Timedout", "errorMessage": "RequestId: ID Error:
    Task timed out after N.00 seconds"}.  Only $LATEST exists (no versions
    or aliases); DeleteFunction answers 204 as Lambda does.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session
import botocore.validate

ECS_PREFIX = 'AmazonEC2ContainerServiceV20141113.'
LOGS_PREFIX = 'Logs_20140328.'
STOPPED_TTL = 3600

FARGATE = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096),
    16384: range(32768, 122881, 8192),
}


class SimError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def now():
    return time.time()


def now_ms():
    return int(time.time() * 1000)


def hex32():
    return uuid.uuid4().hex


class Sim:
    def __init__(self, args):
        self.args = args
        self.region = args.region
        self.account = args.account
        self.keys = {args.access_key: args.secret_key}
        self.maps = {}
        for m in args.map:
            src, _, dst = m.partition('=')
            self.maps[src] = dst
        self.lock = threading.RLock()
        self.log_lock = threading.Lock()
        self.requests = []
        self.faults = []
        self.clusters = {}
        self.taskdefs = {}      # family -> [td, ...] by revision
        self.tasks = {}         # task arn -> Task
        self.tags = {}          # arn -> {key: value}
        self.groups = {}        # log group name -> group
        self.functions = {}     # lambda name -> function
        self.live = set()       # running Lambda invocations (Popen)
        self.models = {}
        session = botocore.session.get_session()
        for svc in ('ecs', 'logs', 'lambda'):
            self.models[svc] = session.get_service_model(svc)
        self.add_cluster('default')

    # ----- common -----

    def arn(self, svc, rest):
        return 'arn:aws:%s:%s:%s:%s' % (svc, self.region, self.account, rest)

    def record(self, service, action, status, duration):
        entry = {'time': now(), 'service': service, 'action': action,
                 'status': status, 'duration_ms': round(duration * 1000, 3)}
        with self.log_lock:
            self.requests.append(entry)
            with open(os.path.join(self.args.state_dir, 'requests.jsonl'),
                      'a') as f:
                f.write(json.dumps(entry) + '\n')

    def take_fault(self, service, action):
        with self.lock:
            for f in self.faults:
                if f['count'] <= 0:
                    continue
                if f.get('service', '*') not in ('*', service):
                    continue
                if f.get('action', '*') not in ('*', action):
                    continue
                f['count'] -= 1
                return dict(f)
        return None

    def validate(self, service, action, params):
        model = self.models[service]
        try:
            op = model.operation_model(action)
        except Exception:
            return
        shape = op.input_shape
        if shape is None:
            return
        if service == 'lambda':
            params = dict(params)
        report = botocore.validate.ParamValidator().validate(params, shape)
        if report.has_errors():
            code = {'ecs': 'InvalidParameterException',
                    'logs': 'InvalidParameterException',
                    'lambda': 'InvalidParameterValueException'}[service]
            raise SimError(400, code, report.generate_report())

    def run_argv(self, argv):
        if argv and argv[0] in self.maps:
            argv = [self.maps[argv[0]]] + list(argv[1:])
        return argv

    def workdir(self, wanted):
        if wanted and os.path.isdir(wanted):
            return wanted, None
        d = tempfile.mkdtemp(prefix='work', dir=self.args.state_dir)
        return d, d

    # ----- CloudWatch Logs -----

    def group(self, name, create=False):
        g = self.groups.get(name)
        if g is None and create:
            g = {'name': name, 'created': now_ms(), 'streams': {}}
            self.groups[name] = g
        if g is None:
            raise SimError(400, 'ResourceNotFoundException',
                           'The specified log group does not exist.')
        return g

    def stream(self, group, name, create=False):
        g = self.group(group, create)
        s = g['streams'].get(name)
        if s is None and create:
            s = {'name': name, 'created': now_ms(), 'events': [],
                 'bytes': 0}
            g['streams'][name] = s
        if s is None:
            raise SimError(400, 'ResourceNotFoundException',
                           'The specified log stream does not exist.')
        return s

    def put_events(self, group, stream, events):
        with self.lock:
            s = self.stream(group, stream, create=True)
            ing = now_ms()
            for ts, msg in events:
                s['events'].append((ts, msg, ing))
                s['bytes'] += len(msg.encode()) + 26

    def log_line(self, group, stream, msg):
        self.put_events(group, stream, [(now_ms(), msg)])

    # ----- ECS -----

    def add_cluster(self, name):
        c = {'clusterArn': self.arn('ecs', 'cluster/' + name),
             'clusterName': name, 'status': 'ACTIVE'}
        self.clusters[name] = c
        return c

    def cluster(self, ref, missing_ok=False):
        name = ref or 'default'
        if name.startswith('arn:'):
            name = name.split('/', 1)[-1]
        c = self.clusters.get(name)
        if c is None or c['status'] != 'ACTIVE':
            if missing_ok:
                return None
            raise SimError(400, 'ClusterNotFoundException',
                           'Cluster not found.')
        return c

    def cluster_json(self, c, include=()):
        running = pending = 0
        for t in self.tasks.values():
            if t.cluster == c['clusterName']:
                if t.last == 'RUNNING':
                    running += 1
                elif t.last in ('PROVISIONING', 'PENDING', 'ACTIVATING'):
                    pending += 1
        out = dict(c)
        out.update({'registeredContainerInstancesCount': 0,
                    'runningTasksCount': running,
                    'pendingTasksCount': pending,
                    'activeServicesCount': 0, 'statistics': [],
                    'tags': self.tag_list(c['clusterArn']),
                    'settings': [{'name': 'containerInsights',
                                  'value': 'disabled'}],
                    'capacityProviders': [],
                    'defaultCapacityProviderStrategy': []})
        if 'TAGS' not in include:
            out['tags'] = self.tag_list(c['clusterArn'])
        return out

    def tag_list(self, arn):
        return [{'key': k, 'value': v}
                for k, v in self.tags.get(arn, {}).items()]

    def taskdef(self, ref):
        if ref.startswith('arn:'):
            ref = ref.split('task-definition/', 1)[-1]
        family, _, rev = ref.partition(':')
        tds = self.taskdefs.get(family, [])
        if rev:
            if not rev.isdigit() or not 0 < int(rev) <= len(tds):
                return None
            return tds[int(rev) - 1]
        active = [td for td in tds if td['status'] == 'ACTIVE']
        return active[-1] if active else None

    def task(self, ref, cluster):
        if ref.startswith('arn:'):
            t = self.tasks.get(ref)
        else:
            t = self.tasks.get(self.arn('ecs', 'task/%s/%s' % (cluster, ref)))
        if t is not None and t.cluster != cluster:
            return None
        return t

    def purge(self):
        limit = now() - STOPPED_TTL
        for arn in [a for a, t in self.tasks.items()
                    if t.last == 'STOPPED' and t.stopped_at < limit]:
            del self.tasks[arn]
            self.tags.pop(arn, None)


def parse_cpu(v):
    if v is None:
        return None
    s = str(v).strip().lower()
    m = re.fullmatch(r'([0-9.]+)\s*vcpu', s)
    if m:
        return int(float(m.group(1)) * 1024)
    return int(s) if s.isdigit() else -1


def parse_mem(v):
    if v is None:
        return None
    s = str(v).strip().lower()
    m = re.fullmatch(r'([0-9.]+)\s*gb', s)
    if m:
        return int(float(m.group(1)) * 1024)
    return int(s) if s.isdigit() else -1


def fargate_ok(cpu, mem):
    return cpu in FARGATE and mem in FARGATE[cpu]


class Task:
    """One ECS task: the API record plus its local processes."""

    def __init__(self, sim, cluster, td, req):
        self.sim = sim
        self.id = hex32()
        self.cluster = cluster
        self.arn = sim.arn('ecs', 'task/%s/%s' % (cluster, self.id))
        self.td = td
        self.created = now()
        self.last = 'PROVISIONING'
        self.desired = 'RUNNING'
        self.version = 1
        self.started_by = req.get('startedBy')
        self.group = req.get('group') or 'family:' + td['family']
        self.launch_type = req.get('launchType')
        self.overrides = req.get('overrides') or {}
        self.stop_code = None
        self.stopped_reason = None
        self.stopping_at = None
        self.stopped_at = None
        self.exec_stopped_at = None
        self.started_at = None
        self.pull_started = None
        self.pull_stopped = None
        self.connectivity_at = None
        self.killer = None
        self.eni = 'eni-' + hex32()[:17]
        self.attachment = str(uuid.uuid4())
        subnets = (((req.get('networkConfiguration') or {})
                    .get('awsvpcConfiguration') or {}).get('subnets') or [])
        self.subnet = subnets[0] if subnets else None
        self.containers = []
        ovr = {o.get('name'): o
               for o in self.overrides.get('containerOverrides', [])}
        for cd in td['containerDefinitions']:
            o = ovr.get(cd['name'], {})
            env = [(e['name'], e.get('value', '')) for e in
                   cd.get('environment', []) + o.get('environment', [])]
            self.containers.append({
                'def': cd, 'name': cd['name'],
                'arn': sim.arn('ecs', 'container/%s/%s/%s'
                               % (cluster, self.id, uuid.uuid4())),
                'argv': list(cd.get('entryPoint') or [])
                + list(o['command'] if 'command' in o
                       else cd.get('command') or []),
                'env': env, 'last': 'PENDING', 'exit': None,
                'reason': None, 'proc': None, 'runtime': None,
                'readers': [], 'tmp': None})

    def json(self, include_tags):
        sim = self.sim
        cpu = self.overrides.get('cpu') or self.td.get('cpu')
        mem = self.overrides.get('memory') or self.td.get('memory')
        out = {
            'attachments': [{
                'id': self.attachment, 'type': 'ElasticNetworkInterface',
                'status': 'DELETED' if self.last == 'STOPPED'
                else 'ATTACHED',
                'details': [
                    {'name': 'subnetId', 'value': self.subnet or ''},
                    {'name': 'networkInterfaceId', 'value': self.eni},
                    {'name': 'macAddress', 'value': '02:00:00:00:00:01'},
                    {'name': 'privateDnsName', 'value': 'localhost'},
                    {'name': 'privateIPv4Address', 'value': '127.0.0.1'}]}],
            'attributes': [{'name': 'ecs.cpu-architecture',
                            'value': 'x86_64'}],
            'availabilityZone': sim.region + 'a',
            'clusterArn': sim.arn('ecs', 'cluster/' + self.cluster),
            'connectivity': 'CONNECTED',
            'createdAt': self.created,
            'desiredStatus': self.desired,
            'enableExecuteCommand': False,
            'group': self.group,
            'healthStatus': 'UNKNOWN',
            'lastStatus': self.last,
            'launchType': self.launch_type,
            'overrides': {
                'containerOverrides': self.overrides.get(
                    'containerOverrides',
                    [{'name': c['name']} for c in self.containers]),
                'inferenceAcceleratorOverrides': []},
            'platformVersion': '1.4.0',
            'platformFamily': 'Linux',
            'tags': sim.tag_list(self.arn) if include_tags else [],
            'taskArn': self.arn,
            'taskDefinitionArn': self.td['taskDefinitionArn'],
            'version': self.version,
            'ephemeralStorage': {'sizeInGiB': 20},
            'containers': [],
        }
        if cpu:
            out['cpu'] = str(cpu)
        if mem:
            out['memory'] = str(mem)
        for k, v in (('connectivityAt', self.connectivity_at),
                     ('pullStartedAt', self.pull_started),
                     ('pullStoppedAt', self.pull_stopped),
                     ('startedAt', self.started_at),
                     ('startedBy', self.started_by),
                     ('stopCode', self.stop_code),
                     ('stoppedReason', self.stopped_reason),
                     ('stoppingAt', self.stopping_at),
                     ('stoppedAt', self.stopped_at),
                     ('executionStoppedAt', self.exec_stopped_at)):
            if v is not None:
                out[k] = v
        for c in self.containers:
            cj = {'containerArn': c['arn'], 'taskArn': self.arn,
                  'name': c['name'], 'image': c['def'].get('image', ''),
                  'lastStatus': c['last'], 'networkBindings': [],
                  'networkInterfaces': [{
                      'attachmentId': self.attachment,
                      'privateIpv4Address': '127.0.0.1'}],
                  'healthStatus': 'UNKNOWN',
                  'cpu': str(c['def'].get('cpu', 0))}
            if c['runtime']:
                cj['runtimeId'] = c['runtime']
            if c['exit'] is not None:
                cj['exitCode'] = c['exit']
            if c['reason']:
                cj['reason'] = c['reason']
            if 'memory' in c['def']:
                cj['memory'] = str(c['def']['memory'])
            out['containers'].append(cj)
        return out

    def internal(self):
        return {'taskArn': self.arn, 'cluster': self.cluster,
                'lastStatus': self.last, 'desiredStatus': self.desired,
                'containers': [{
                    'name': c['name'], 'argv': c['argv'],
                    'pid': c['proc'].pid if c['proc'] else None,
                    'lastStatus': c['last'], 'exitCode': c['exit']}
                    for c in self.containers]}

    def set(self, **kw):
        with self.sim.lock:
            for k, v in kw.items():
                setattr(self, k, v)
            self.version += 1

    def run(self):
        sim = self.sim
        delay = sim.args.delay
        time.sleep(delay)
        self.set(last='PENDING', connectivity_at=now(),
                 pull_started=now())
        time.sleep(delay)
        self.set(pull_stopped=now())
        with sim.lock:
            if self.desired == 'STOPPED':
                self.finish(None)
                return
            failure = self.check_start()
            if failure:
                for c in self.containers:
                    c['last'] = 'STOPPED'
                    c['reason'] = failure
                self.stop_code = 'TaskFailedToStart'
                self.stopped_reason = failure
                self.finish(None)
                return
        started = []
        try:
            for c in self.containers:
                self.start_container(c)
                started.append(c)
        except OSError as e:
            reason = 'CannotStartContainerError: %s' % e
            with sim.lock:
                self.stop_code = 'TaskFailedToStart'
                self.stopped_reason = reason
                for c in self.containers:
                    if c not in started:
                        c['last'] = 'STOPPED'
                        c['reason'] = reason
            self.signal_all(signal.SIGKILL)
            self.wait_all(started)
            return
        with sim.lock:
            for c in self.containers:
                c['last'] = 'RUNNING'
            self.set(last='RUNNING', started_at=now())
            stop_now = self.desired == 'STOPPED'
        if stop_now:
            self.begin_stop()
        self.wait_all(started)

    def check_start(self):
        for c in self.containers:
            if not c['argv']:
                return 'CannotStartContainerError: no command'
            lc = c['def'].get('logConfiguration') or {}
            if lc.get('logDriver') == 'awslogs':
                opts = lc.get('options') or {}
                grp = opts.get('awslogs-group')
                if not grp or not opts.get('awslogs-stream-prefix'):
                    return ('CannotStartContainerError: ResourceInitializat'
                            'ionError: failed to validate logger args: '
                            'awslogs-group and awslogs-stream-prefix are '
                            'required: exit status 1')
                if grp not in self.sim.groups:
                    if opts.get('awslogs-create-group') == 'true':
                        self.sim.group(grp, create=True)
                    else:
                        return ('CannotStartContainerError: ResourceInitial'
                                'izationError: failed to validate logger '
                                'args: create stream has been retried 1 '
                                'times: failed to create Cloudwatch log '
                                'stream: ResourceNotFoundException: The '
                                'specified log group does not exist. : exit '
                                'status 1')
        return None

    def start_container(self, c):
        sim = self.sim
        env = {'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:'
                       '/sbin:/bin',
               'HOME': '/root', 'AWS_REGION': sim.region,
               'AWS_DEFAULT_REGION': sim.region,
               'AWS_EXECUTION_ENV': 'AWS_ECS_FARGATE'}
        env.update(dict(c['env']))
        cwd, c['tmp'] = sim.workdir(c['def'].get('workingDirectory'))
        dest = None
        lc = c['def'].get('logConfiguration') or {}
        if lc.get('logDriver') == 'awslogs':
            opts = lc['options']
            dest = (opts['awslogs-group'], '%s/%s/%s' % (
                opts['awslogs-stream-prefix'], c['name'], self.id))
            with sim.lock:
                sim.stream(dest[0], dest[1], create=True)
        proc = subprocess.Popen(sim.run_argv(c['argv']), env=env, cwd=cwd,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                start_new_session=True)
        c['proc'] = proc
        c['runtime'] = '%s-%d' % (self.id, proc.pid)
        for pipe in (proc.stdout, proc.stderr):
            th = threading.Thread(target=read_lines,
                                  args=(sim, pipe, dest, None), daemon=True)
            th.start()
            c['readers'].append(th)

    def wait_all(self, started):
        done = threading.Condition(self.sim.lock)
        exited = []

        def waiter(c):
            code = c['proc'].wait()
            for th in c['readers']:
                th.join()
            with self.sim.lock:
                c['exit'] = 128 - code if code < 0 else code
                c['last'] = 'STOPPED'
                exited.append(c)
                done.notify_all()

        for c in started:
            threading.Thread(target=waiter, args=(c,), daemon=True).start()
        with self.sim.lock:
            while True:
                if any(c['def'].get('essential', True) for c in exited) \
                        and self.desired != 'STOPPED':
                    self.desired = 'STOPPED'
                    self.stop_code = 'EssentialContainerExited'
                    self.stopped_reason = 'Essential container in task exited'
                    self.stopping_at = now()
                    self.last = 'DEACTIVATING'
                    self.version += 1
                    if len(exited) < len(started):
                        threading.Thread(target=self.begin_stop,
                                         daemon=True).start()
                if len(exited) >= len(started):
                    break
                done.wait()
            self.finish(True)
        for c in started:
            if c['tmp']:
                shutil.rmtree(c['tmp'], ignore_errors=True)

    def finish(self, ran):
        t = now()
        self.desired = 'STOPPED'
        self.last = 'STOPPED'
        for c in self.containers:
            c['last'] = 'STOPPED'
        if self.stop_code is None:
            self.stop_code = 'UserInitiated'
        if self.stopping_at is None:
            self.stopping_at = t
        self.exec_stopped_at = t
        self.stopped_at = t
        self.version += 1

    def signal_all(self, sig):
        for c in self.containers:
            p = c['proc']
            if p is not None and p.poll() is None:
                try:
                    os.killpg(p.pid, sig)
                except OSError:
                    pass

    def begin_stop(self):
        self.signal_all(signal.SIGTERM)
        timeout = max([c['def'].get('stopTimeout', self.sim.args.stop_timeout)
                       for c in self.containers] or [0])
        deadline = now() + timeout
        while now() < deadline:
            if all(c['proc'] is None or c['proc'].poll() is not None
                   for c in self.containers):
                return
            time.sleep(0.05)
        self.signal_all(signal.SIGKILL)


def read_lines(sim, pipe, dest, sink):
    """Reads a pipe line by line into a log stream (and a list)."""
    for raw in iter(pipe.readline, b''):
        line = raw.decode('utf-8', 'replace')
        if line.endswith('\n'):
            line = line[:-1]
        if sink is not None:
            sink.append(line)
        if dest is not None:
            sim.log_line(dest[0], dest[1], line)
    pipe.close()


# ----- ECS actions -----

def ecs_create_cluster(sim, req):
    name = req.get('clusterName') or 'default'
    if not re.fullmatch(r'[A-Za-z0-9_-]{1,255}', name):
        raise SimError(400, 'InvalidParameterException',
                       'Cluster name must be up to 255 letters, numbers, '
                       'hyphens and underscores.')
    c = sim.clusters.get(name)
    if c is None or c['status'] != 'ACTIVE':
        c = sim.add_cluster(name)
    for t in req.get('tags') or []:
        sim.tags.setdefault(c['clusterArn'], {})[t['key']] = t.get('value',
                                                                  '')
    return {'cluster': sim.cluster_json(c)}


def ecs_describe_clusters(sim, req):
    out, failures = [], []
    for ref in req.get('clusters') or ['default']:
        c = sim.cluster(ref, missing_ok=True)
        if c is None:
            failures.append({'arn': ref if ref.startswith('arn:') else
                             sim.arn('ecs', 'cluster/' + ref),
                             'reason': 'MISSING'})
        else:
            out.append(sim.cluster_json(c, req.get('include') or ()))
    return {'clusters': out, 'failures': failures}


def ecs_delete_cluster(sim, req):
    c = sim.cluster(req['cluster'])
    if any(t.cluster == c['clusterName'] and t.last != 'STOPPED'
           for t in sim.tasks.values()):
        raise SimError(400, 'ClusterContainsTasksException',
                       'The Cluster cannot be deleted while Tasks are '
                       'active.')
    c['status'] = 'INACTIVE'
    out = sim.cluster_json(c)
    del sim.clusters[c['clusterName']]
    return {'cluster': out}


def ecs_register_task_definition(sim, req):
    family = req['family']
    if not re.fullmatch(r'[A-Za-z0-9_-]{1,255}', family):
        raise SimError(400, 'ClientException',
                       'Family contains invalid characters.')
    cds = req['containerDefinitions']
    if not cds:
        raise SimError(400, 'ClientException',
                       'Container list cannot be empty.')
    names = set()
    for cd in cds:
        if not cd.get('name') or not cd.get('image'):
            raise SimError(400, 'ClientException',
                           'Container.name and Container.image should not '
                           'be null or empty.')
        if cd['name'] in names:
            raise SimError(400, 'ClientException',
                           'Duplicate container names are not allowed.')
        names.add(cd['name'])
    cpu, mem = parse_cpu(req.get('cpu')), parse_mem(req.get('memory'))
    mode = req.get('networkMode')
    if 'FARGATE' in (req.get('requiresCompatibilities') or []):
        if mode != 'awsvpc':
            raise SimError(400, 'ClientException',
                           'Fargate only supports network mode \u2018awsvpc'
                           '\u2019.')
        if cpu is None:
            raise SimError(400, 'ClientException',
                           'Fargate requires that \'cpu\' be defined at the '
                           'task level.')
        if mem is None:
            raise SimError(400, 'ClientException',
                           'Fargate requires that \'memory\' be defined at '
                           'the task level.')
        if not fargate_ok(cpu, mem):
            raise SimError(400, 'ClientException',
                           'No Fargate configuration exists for given '
                           'values: %s CPU, %s memory. See the Amazon ECS '
                           'documentation for the valid values.'
                           % (req.get('cpu'), req.get('memory')))
    tds = sim.taskdefs.setdefault(family, [])
    rev = len(tds) + 1
    defs = []
    for cd in cds:
        d = {'cpu': 0, 'portMappings': [], 'essential': True,
             'environment': [], 'mountPoints': [], 'volumesFrom': [],
             'systemControls': []}
        d.update(cd)
        defs.append(d)
    compat = ['EC2']
    if mode == 'awsvpc' and fargate_ok(cpu, mem):
        compat.append('FARGATE')
    td = {'taskDefinitionArn': sim.arn('ecs', 'task-definition/%s:%d'
                                       % (family, rev)),
          'containerDefinitions': defs, 'family': family,
          'revision': rev, 'volumes': req.get('volumes') or [],
          'status': 'ACTIVE', 'requiresAttributes': requires(req),
          'placementConstraints': req.get('placementConstraints') or [],
          'compatibilities': compat,
          'requiresCompatibilities': req.get('requiresCompatibilities')
          or [],
          'registeredAt': now(),
          'registeredBy': sim.arn('iam', 'root').replace(
              ':%s:' % sim.region, '::')}
    for k in ('taskRoleArn', 'executionRoleArn', 'networkMode',
              'runtimePlatform', 'pidMode', 'ipcMode', 'ephemeralStorage'):
        if req.get(k) is not None:
            td[k] = req[k]
    if cpu is not None:
        td['cpu'] = str(cpu)
    if mem is not None:
        td['memory'] = str(mem)
    tds.append(td)
    tags = req.get('tags') or []
    if tags:
        sim.tags[td['taskDefinitionArn']] = {t['key']: t.get('value', '')
                                             for t in tags}
    return {'taskDefinition': td,
            'tags': sim.tag_list(td['taskDefinitionArn'])}


def requires(req):
    """The capabilities ECS derives from a definition (a useful subset)."""
    attrs = []
    logs = any((cd.get('logConfiguration') or {}).get('logDriver')
               == 'awslogs' for cd in req['containerDefinitions'])
    if logs:
        attrs += ['com.amazonaws.ecs.capability.logging-driver.awslogs',
                  'com.amazonaws.ecs.capability.docker-remote-api.1.19']
        if req.get('executionRoleArn'):
            attrs.append('ecs.capability.execution-role-awslogs')
    if req.get('taskRoleArn'):
        attrs.append('com.amazonaws.ecs.capability.task-iam-role')
    if req.get('networkMode') == 'awsvpc':
        attrs.append('ecs.capability.task-eni')
    return [{'name': a} for a in attrs]


def ecs_describe_task_definition(sim, req):
    td = sim.taskdef(req['taskDefinition'])
    if td is None:
        raise SimError(400, 'ClientException',
                       'Unable to describe task definition.')
    out = {'taskDefinition': td}
    if 'TAGS' in (req.get('include') or []):
        out['tags'] = sim.tag_list(td['taskDefinitionArn'])
    return out


def ecs_deregister_task_definition(sim, req):
    ref = req['taskDefinition']
    if ':' not in ref.split('/')[-1]:
        raise SimError(400, 'ClientException',
                       'Invalid revision number. Number: ' + ref)
    td = sim.taskdef(ref)
    if td is None:
        raise SimError(400, 'ClientException',
                       'The specified task definition does not exist.')
    if td['status'] == 'ACTIVE':
        td['status'] = 'INACTIVE'
        td['deregisteredAt'] = now()
    return {'taskDefinition': td}


def paginate(items, req, key_token='nextToken', key_max='maxResults',
             default=100):
    start = 0
    tok = req.get(key_token)
    if tok:
        try:
            start = int(base64.b64decode(tok).decode())
        except Exception:
            raise SimError(400, 'InvalidParameterException',
                           'Invalid token ' + tok)
    n = req.get(key_max) or default
    page = items[start:start + n]
    nxt = None
    if start + n < len(items):
        nxt = base64.b64encode(str(start + n).encode()).decode()
    return page, nxt


def ecs_list_task_definitions(sim, req):
    status = req.get('status', 'ACTIVE')
    prefix = req.get('familyPrefix')
    arns = []
    for family in sorted(sim.taskdefs):
        if prefix and family != prefix:
            continue
        arns += [td['taskDefinitionArn'] for td in sim.taskdefs[family]
                 if td['status'] == status]
    if req.get('sort') == 'DESC':
        arns.reverse()
    page, nxt = paginate(arns, req)
    out = {'taskDefinitionArns': page}
    if nxt:
        out['nextToken'] = nxt
    return out


def ecs_list_task_definition_families(sim, req):
    # unlike ListTaskDefinitions' familyPrefix (a whole family name), this
    # one is a prefix; ACTIVE: families with an ACTIVE revision
    status = req.get('status', 'ACTIVE')
    prefix = req.get('familyPrefix') or ''
    fams = []
    for family in sorted(sim.taskdefs):
        if not family.startswith(prefix):
            continue
        sts = {td['status'] for td in sim.taskdefs[family]}
        if status == 'ALL' or status in sts and (
                status == 'ACTIVE' or 'ACTIVE' not in sts):
            fams.append(family)
    page, nxt = paginate(fams, req)
    out = {'families': page}
    if nxt:
        out['nextToken'] = nxt
    return out


def ecs_run_task(sim, req):
    c = sim.cluster(req.get('cluster'))
    td = sim.taskdef(req['taskDefinition'])
    if td is None or td['status'] != 'ACTIVE':
        raise SimError(400, 'ClientException',
                       'TaskDefinition not found.')
    count = req.get('count', 1)
    if not 1 <= count <= 10:
        raise SimError(400, 'InvalidParameterException',
                       'Count must be between 1 and 10.')
    lt = req.get('launchType')
    if lt != 'FARGATE':
        return {'tasks': [], 'failures': [
            {'reason': 'No Container Instances were found in your '
                       'cluster.'}] * count}
    if 'FARGATE' not in td['compatibilities']:
        raise SimError(400, 'InvalidParameterException',
                       'Task definition does not support launch_type '
                       'FARGATE.')
    nc = req.get('networkConfiguration')
    if not nc or 'awsvpcConfiguration' not in nc:
        raise SimError(400, 'InvalidParameterException',
                       'Network Configuration must be provided when '
                       'networkMode \'awsvpc\' is specified.')
    if not nc['awsvpcConfiguration'].get('subnets'):
        raise SimError(400, 'InvalidParameterException',
                       'subnets can not be empty.')
    ov = req.get('overrides') or {}
    names = {cd['name'] for cd in td['containerDefinitions']}
    for o in ov.get('containerOverrides') or []:
        if o.get('name') not in names:
            raise SimError(400, 'InvalidParameterException',
                           'Override for container named %s is not a '
                           'container in the TaskDefinition.'
                           % o.get('name'))
    tags = {t['key']: t.get('value', '') for t in req.get('tags') or []}
    if req.get('propagateTags') == 'TASK_DEFINITION':
        tags = dict(sim.tags.get(td['taskDefinitionArn'], {}), **tags)
    tasks = []
    for _ in range(count):
        t = Task(sim, c['clusterName'], td, req)
        sim.tasks[t.arn] = t
        if tags:
            sim.tags[t.arn] = dict(tags)
        tasks.append(t)
        threading.Thread(target=t.run, daemon=True).start()
    return {'tasks': [t.json(True) for t in tasks], 'failures': []}


def ecs_describe_tasks(sim, req):
    c = sim.cluster(req.get('cluster'))
    refs = req['tasks']
    if len(refs) > 100:
        raise SimError(400, 'InvalidParameterException',
                       'Tasks cannot be longer than 100.')
    sim.purge()
    inc = 'TAGS' in (req.get('include') or [])
    out, failures = [], []
    for ref in refs:
        t = sim.task(ref, c['clusterName'])
        if t is None:
            failures.append({'arn': ref if ref.startswith('arn:') else
                             sim.arn('ecs', 'task/%s/%s'
                                     % (c['clusterName'], ref)),
                             'reason': 'MISSING'})
        else:
            out.append(t.json(inc))
    return {'tasks': out, 'failures': failures}


def ecs_stop_task(sim, req):
    c = sim.cluster(req.get('cluster'))
    t = sim.task(req['task'], c['clusterName'])
    if t is None:
        raise SimError(400, 'InvalidParameterException',
                       'The referenced task was not found.')
    if t.desired != 'STOPPED':
        t.desired = 'STOPPED'
        t.stop_code = 'UserInitiated'
        t.stopped_reason = req.get('reason') or 'Task stopped by user'
        t.stopping_at = now()
        t.version += 1
        if t.last == 'RUNNING':
            t.last = 'DEACTIVATING'
            threading.Thread(target=t.begin_stop, daemon=True).start()
    return {'task': t.json(True)}


def ecs_list_tasks(sim, req):
    c = sim.cluster(req.get('cluster'))
    sim.purge()
    want = req.get('desiredStatus', 'RUNNING')
    family = req.get('family')
    arns = []
    for t in sorted(sim.tasks.values(), key=lambda t: t.created):
        if t.cluster != c['clusterName'] or t.desired != want:
            continue
        if family and t.td['family'] != family:
            continue
        if req.get('startedBy') and t.started_by != req['startedBy']:
            continue
        if req.get('launchType') and t.launch_type != req['launchType']:
            continue
        arns.append(t.arn)
    page, nxt = paginate(arns, req)
    out = {'taskArns': page}
    if nxt:
        out['nextToken'] = nxt
    return out


def ecs_resource(sim, arn):
    if not arn.startswith('arn:aws:ecs:'):
        raise SimError(400, 'InvalidParameterException',
                       'The ARN provided is invalid.')
    kind = arn.split(':', 5)[5].split('/', 1)[0]
    found = False
    if kind == 'cluster':
        found = any(c['clusterArn'] == arn for c in sim.clusters.values())
    elif kind == 'task-definition':
        td = sim.taskdef(arn)
        found = td is not None and td['taskDefinitionArn'] == arn
    elif kind == 'task':
        found = arn in sim.tasks
    if not found:
        raise SimError(400, 'InvalidParameterException',
                       'The specified %s was not found.' % kind.replace(
                           '-', ' '))
    return arn


def ecs_tag_resource(sim, req):
    arn = ecs_resource(sim, req['resourceArn'])
    tags = sim.tags.setdefault(arn, {})
    for t in req['tags']:
        tags[t['key']] = t.get('value', '')
    return {}


def ecs_untag_resource(sim, req):
    arn = ecs_resource(sim, req['resourceArn'])
    for k in req['tagKeys']:
        sim.tags.get(arn, {}).pop(k, None)
    return {}


def ecs_list_tags(sim, req):
    arn = ecs_resource(sim, req['resourceArn'])
    return {'tags': sim.tag_list(arn)}


ECS = {
    'CreateCluster': ecs_create_cluster,
    'DescribeClusters': ecs_describe_clusters,
    'DeleteCluster': ecs_delete_cluster,
    'RegisterTaskDefinition': ecs_register_task_definition,
    'DescribeTaskDefinition': ecs_describe_task_definition,
    'DeregisterTaskDefinition': ecs_deregister_task_definition,
    'ListTaskDefinitions': ecs_list_task_definitions,
    'ListTaskDefinitionFamilies': ecs_list_task_definition_families,
    'RunTask': ecs_run_task,
    'DescribeTasks': ecs_describe_tasks,
    'StopTask': ecs_stop_task,
    'ListTasks': ecs_list_tasks,
    'TagResource': ecs_tag_resource,
    'UntagResource': ecs_untag_resource,
    'ListTagsForResource': ecs_list_tags,
}


# ----- CloudWatch Logs actions -----

def group_json(sim, g):
    arn = sim.arn('logs', 'log-group:' + g['name'])
    return {'logGroupName': g['name'], 'creationTime': g['created'],
            'metricFilterCount': 0, 'arn': arn + ':*',
            'storedBytes': sum(s['bytes'] for s in g['streams'].values()),
            'logGroupClass': 'STANDARD', 'logGroupArn': arn}


def stream_json(sim, group, s):
    out = {'logStreamName': s['name'], 'creationTime': s['created'],
           'arn': sim.arn('logs', 'log-group:%s:log-stream:%s'
                          % (group, s['name'])),
           'storedBytes': 0}
    if s['events']:
        out['firstEventTimestamp'] = min(e[0] for e in s['events'])
        out['lastEventTimestamp'] = max(e[0] for e in s['events'])
        out['lastIngestionTime'] = s['events'][-1][2]
        out['uploadSequenceToken'] = str(len(s['events']))
    return out


def logs_create_group(sim, req):
    name = req['logGroupName']
    if name in sim.groups:
        raise SimError(400, 'ResourceAlreadyExistsException',
                       'The specified log group already exists')
    if not re.fullmatch(r'[\.\-_/#A-Za-z0-9]{1,512}', name):
        raise SimError(400, 'InvalidParameterException',
                       '1 validation error detected: Value \'%s\' at '
                       '\'logGroupName\' failed to satisfy constraint: '
                       'Member must satisfy regular expression pattern: '
                       '[\\.\\-_/#A-Za-z0-9]+' % name)
    sim.group(name, create=True)
    return {}


def logs_delete_group(sim, req):
    sim.group(req['logGroupName'])
    del sim.groups[req['logGroupName']]
    return {}


def logs_describe_groups(sim, req):
    prefix = req.get('logGroupNamePrefix') or ''
    pattern = req.get('logGroupNamePattern')
    groups = [group_json(sim, sim.groups[n]) for n in sorted(sim.groups)
              if n.startswith(prefix) and (not pattern or pattern in n)]
    page, nxt = paginate(groups, req, key_max='limit', default=50)
    out = {'logGroups': page}
    if nxt:
        out['nextToken'] = nxt
    return out


def logs_create_stream(sim, req):
    g = sim.group(req['logGroupName'])
    if req['logStreamName'] in g['streams']:
        raise SimError(400, 'ResourceAlreadyExistsException',
                       'The specified log stream already exists')
    sim.stream(req['logGroupName'], req['logStreamName'], create=True)
    return {}


def logs_describe_streams(sim, req):
    name = req.get('logGroupName')
    if not name and req.get('logGroupIdentifier'):
        name = req['logGroupIdentifier'].split(':log-group:')[-1]
        name = name[:-2] if name.endswith(':*') else name
    if not name:
        raise SimError(400, 'InvalidParameterException',
                       'Either logGroupName or logGroupIdentifier is '
                       'required.')
    g = sim.group(name)
    prefix = req.get('logStreamNamePrefix') or ''
    order = req.get('orderBy', 'LogStreamName')
    if prefix and order == 'LastEventTime':
        raise SimError(400, 'InvalidParameterException',
                       'Cannot order by LastEventTime with a '
                       'logStreamNamePrefix.')
    streams = [s for n, s in sorted(g['streams'].items())
               if n.startswith(prefix)]
    if order == 'LastEventTime':
        streams.sort(key=lambda s: s['events'][-1][0] if s['events'] else 0)
    if req.get('descending'):
        streams.reverse()
    page, nxt = paginate([stream_json(sim, name, s) for s in streams], req,
                         key_max='limit', default=50)
    out = {'logStreams': page}
    if nxt:
        out['nextToken'] = nxt
    return out


def logs_put_events(sim, req):
    sim.stream(req['logGroupName'], req['logStreamName'])
    evs = req['logEvents']
    if not evs:
        raise SimError(400, 'InvalidParameterException',
                       'Log events cannot be empty.')
    ts = [e['timestamp'] for e in evs]
    if ts != sorted(ts):
        raise SimError(400, 'InvalidParameterException',
                       'Log events in a single PutLogEvents request must be '
                       'in chronological order.')
    sim.put_events(req['logGroupName'], req['logStreamName'],
                   [(e['timestamp'], e['message']) for e in evs])
    s = sim.stream(req['logGroupName'], req['logStreamName'])
    return {'nextSequenceToken': '%056d' % len(s['events'])}


def in_range(ts, req):
    if req.get('startTime') is not None and ts < req['startTime']:
        return False
    if req.get('endTime') is not None and ts >= req['endTime']:
        return False
    return True


def logs_get_events(sim, req):
    name = req.get('logGroupName')
    if not name and req.get('logGroupIdentifier'):
        name = req['logGroupIdentifier'].split(':log-group:')[-1]
    if not name:
        raise SimError(400, 'InvalidParameterException',
                       'Either logGroupName or logGroupIdentifier is '
                       'required.')
    s = sim.stream(name, req['logStreamName'])
    events = s['events']
    limit = req.get('limit') or 10000
    if limit > 10000:
        raise SimError(400, 'InvalidParameterException',
                       '1 validation error detected: Value \'%d\' at '
                       '\'limit\' failed to satisfy constraint: Member must '
                       'have value less than or equal to 10000' % limit)
    match = [i for i, e in enumerate(events) if in_range(e[0], req)]
    tok = req.get('nextToken')
    if tok:
        m = re.fullmatch(r'([fb])/(\d+)', tok)
        if not m or int(m.group(2)) > len(events):
            raise SimError(400, 'InvalidParameterException',
                           'The specified nextToken is invalid.')
        direction, pos = m.group(1), int(m.group(2))
    elif req.get('startFromHead'):
        direction, pos = 'f', 0
    else:
        direction, pos = 'b', len(events)
    if direction == 'f':
        sel = [i for i in match if i >= pos][:limit]
        start = sel[0] if sel else pos
        end = sel[-1] + 1 if sel else pos
    else:
        sel = [i for i in match if i < pos][-limit:]
        start = sel[0] if sel else pos
        end = sel[-1] + 1 if sel else pos
        if not tok and not sel:
            start = end = pos
    return {'events': [{'timestamp': events[i][0], 'message': events[i][1],
                        'ingestionTime': events[i][2]} for i in sel],
            'nextForwardToken': 'f/%d' % end,
            'nextBackwardToken': 'b/%d' % start}


def filter_match(pattern):
    if not pattern or not pattern.strip():
        return lambda m: True
    terms = re.findall(r'"([^"]*)"|(\S+)', pattern)
    words = [a or b for a, b in terms]
    for w in words:
        if re.search(r'[{}\[\]=<>$?*]', w) or w.startswith(('-', '%')):
            raise SimError(400, 'InvalidParameterException',
                           'The simulator supports only plain words in '
                           'filterPattern.')
    return lambda m: all(w in m for w in words)


def logs_filter_events(sim, req):
    name = req.get('logGroupName')
    if not name and req.get('logGroupIdentifier'):
        name = req['logGroupIdentifier'].split(':log-group:')[-1]
    g = sim.group(name or '')
    names = req.get('logStreamNames')
    prefix = req.get('logStreamNamePrefix')
    if names and prefix:
        raise SimError(400, 'InvalidParameterException',
                       'logStreamNames and logStreamNamePrefix are mutually '
                       'exclusive')
    ok = filter_match(req.get('filterPattern'))
    found = []
    for sname, s in sorted(g['streams'].items()):
        if names and sname not in names:
            continue
        if prefix and not sname.startswith(prefix):
            continue
        for i, e in enumerate(s['events']):
            if in_range(e[0], req) and ok(e[1]):
                found.append((e[0], sname, i, e))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    page, nxt = paginate(found, req, key_max='limit', default=10000)
    out = {'events': [{'logStreamName': sn, 'timestamp': e[0],
                       'message': e[1], 'ingestionTime': e[2],
                       'eventId': '%d%s%d' % (e[0], hashlib.md5(
                           sn.encode()).hexdigest()[:8], i)}
                      for _, sn, i, e in page],
           'searchedLogStreams': []}
    if nxt:
        out['nextToken'] = nxt
    return out


LOGS = {
    'CreateLogGroup': logs_create_group,
    'DeleteLogGroup': logs_delete_group,
    'DescribeLogGroups': logs_describe_groups,
    'CreateLogStream': logs_create_stream,
    'DescribeLogStreams': logs_describe_streams,
    'PutLogEvents': logs_put_events,
    'GetLogEvents': logs_get_events,
    'FilterLogEvents': logs_filter_events,
}


# ----- Lambda -----

def lambda_name(sim, ref):
    ref = unquote(ref)
    m = re.fullmatch(r'(?:arn:aws:lambda:[^:]+:\d{12}:function:|'
                     r'\d{12}:function:)?([A-Za-z0-9_-]{1,64})'
                     r'(?::(\$LATEST|[A-Za-z0-9_-]+))?', ref)
    if not m:
        raise SimError(400, 'ValidationException',
                       '1 validation error detected: Value \'%s\' at '
                       '\'functionName\' failed to satisfy constraint: '
                       'Member must satisfy regular expression pattern: '
                       '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+'
                       '-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)'
                       '(:(\\$LATEST|[a-zA-Z0-9-_]+))?' % ref)
    return m.group(1)


def lambda_fn(sim, ref):
    name = lambda_name(sim, ref)
    f = sim.functions.get(name)
    if f is None:
        raise SimError(404, 'ResourceNotFoundException',
                       'Function not found: ' + sim.arn(
                           'lambda', 'function:' + name))
    return f


def fn_config(sim, f):
    cfg = dict(f['config'])
    if f['state'] == 'Pending':
        cfg.update({'State': 'Pending',
                    'StateReason': 'The function is being created.',
                    'StateReasonCode': 'Creating'})
    else:
        cfg.update({'State': 'Active', 'LastUpdateStatus': 'Successful'})
    return cfg


def lambda_create(sim, req, q):
    name = req['FunctionName']
    if not re.fullmatch(r'[A-Za-z0-9_-]{1,64}', name):
        lambda_name(sim, name + ':')
    if name in sim.functions:
        raise SimError(409, 'ResourceConflictException',
                       'Function already exist: ' + name)
    if req.get('PackageType') != 'Image':
        raise SimError(400, 'InvalidParameterValueException',
                       'The simulator runs only PackageType Image '
                       'functions.')
    uri = (req.get('Code') or {}).get('ImageUri')
    if not uri:
        raise SimError(400, 'InvalidParameterValueException',
                       'Please provide ImageUri when PackageType is '
                       'Image.')
    if not re.fullmatch(r'arn:aws[a-z-]*:iam::\d{12}:role/.+',
                        req.get('Role', '')):
        raise SimError(400, 'ValidationException',
                       '1 validation error detected: Value \'%s\' at '
                       '\'role\' failed to satisfy constraint: Member must '
                       'satisfy regular expression pattern: arn:(aws[a-zA-Z-'
                       ']*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+'
                       % req.get('Role'))
    timeout = req.get('Timeout', 3)
    memory = req.get('MemorySize', 128)
    if not 1 <= timeout <= 900:
        raise SimError(400, 'InvalidParameterValueException',
                       'Timeout must be between 1 and 900 seconds.')
    if not 128 <= memory <= 10240:
        raise SimError(400, 'InvalidParameterValueException',
                       'MemorySize must be between 128 and 10240 MB.')
    digest = hashlib.sha256(uri.encode()).hexdigest()
    cfg = {'FunctionName': name,
           'FunctionArn': sim.arn('lambda', 'function:' + name),
           'Role': req['Role'], 'CodeSize': 0,
           'Description': req.get('Description', ''),
           'Timeout': timeout, 'MemorySize': memory,
           'LastModified': datetime.datetime.now(datetime.timezone.utc)
           .strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + '+0000',
           'CodeSha256': digest, 'Version': '$LATEST',
           'TracingConfig': {'Mode': 'PassThrough'},
           'RevisionId': str(uuid.uuid4()), 'PackageType': 'Image',
           'Architectures': req.get('Architectures') or ['x86_64'],
           'EphemeralStorage': req.get('EphemeralStorage') or {'Size': 512},
           'SnapStart': {'ApplyOn': 'None', 'OptimizationStatus': 'Off'},
           'LoggingConfig': {'LogFormat': 'Text',
                             'LogGroup': '/aws/lambda/' + name}}
    if req.get('Environment', {}).get('Variables') is not None:
        cfg['Environment'] = {'Variables': req['Environment']['Variables']}
    if req.get('ImageConfig'):
        cfg['ImageConfigResponse'] = {'ImageConfig': req['ImageConfig']}
    f = {'name': name, 'config': cfg, 'uri': uri, 'digest': digest,
         'state': 'Pending', 'image': req.get('ImageConfig') or {}}
    sim.functions[name] = f
    if req.get('Tags'):
        sim.tags[cfg['FunctionArn']] = dict(req['Tags'])

    def activate():
        time.sleep(sim.args.delay)
        with sim.lock:
            f['state'] = 'Active'

    threading.Thread(target=activate, daemon=True).start()
    return 201, fn_config(sim, f)


def lambda_get(sim, f, q):
    out = {'Configuration': fn_config(sim, f),
           'Code': {'RepositoryType': 'ECR', 'ImageUri': f['uri'],
                    'ResolvedImageUri': f['uri'].split(':')[0]
                    + '@sha256:' + f['digest']}}
    tags = sim.tags.get(f['config']['FunctionArn'])
    if tags:
        out['Tags'] = tags
    return 200, out


def lambda_list(sim, req, q):
    fns = [fn_config(sim, sim.functions[n]) for n in sorted(sim.functions)]
    try:
        start = int(q.get('Marker', '0'))
        n = int(q.get('MaxItems', '50'))
    except ValueError:
        raise SimError(400, 'InvalidParameterValueException',
                       'Invalid marker or MaxItems')
    out = {'Functions': fns[start:start + n]}
    if start + n < len(fns):
        out['NextMarker'] = str(start + n)
    return 200, out


def lambda_delete(sim, f, q):
    del sim.functions[f['name']]
    sim.tags.pop(f['config']['FunctionArn'], None)
    return 204, None


def lambda_tag_target(sim, arn):
    arn = unquote(arn)
    m = re.fullmatch(r'arn:aws:lambda:[^:]+:\d{12}:function:([^:]+)', arn)
    if not m:
        raise SimError(400, 'ValidationException',
                       'The resource you requested is not a valid ARN: '
                       + arn)
    lambda_fn(sim, m.group(1))
    return arn


def invoke(sim, f, payload, q, headers):
    """Runs one invocation; returns (status, headers, body)."""
    cfg = f['config']
    rid = str(uuid.uuid4())
    name = f['name']
    group = '/aws/lambda/' + name
    stream = '%s/[$LATEST]%s' % (time.strftime('%Y/%m/%d', time.gmtime()),
                                 hex32())
    argv = list(f['image'].get('EntryPoint') or []) + \
        list(f['image'].get('Command') or [])
    env = {'PATH': '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
           'HOME': '/root', 'LANG': 'en_US.UTF-8', 'TZ': ':UTC',
           'AWS_REGION': sim.region, 'AWS_DEFAULT_REGION': sim.region,
           'AWS_LAMBDA_FUNCTION_NAME': name,
           'AWS_LAMBDA_FUNCTION_VERSION': '$LATEST',
           'AWS_LAMBDA_FUNCTION_MEMORY_SIZE': str(cfg['MemorySize']),
           'AWS_LAMBDA_LOG_GROUP_NAME': group,
           'AWS_LAMBDA_LOG_STREAM_NAME': stream,
           'AWS_LAMBDA_INITIALIZATION_TYPE': 'on-demand',
           'AWS_LAMBDA_REQUEST_ID': rid}
    env.update((cfg.get('Environment') or {}).get('Variables') or {})
    lines = []
    log = []

    def note(msg):
        log.append(msg)
        sim.log_line(group, stream, msg)

    sim.stream(group, stream, create=True)
    note('START RequestId: %s Version: $LATEST' % rid)
    t0 = time.monotonic()
    out_hdr = {'X-Amz-Executed-Version': '$LATEST'}
    if not argv:
        note('END RequestId: %s' % rid)
        body = {'errorType': 'Runtime.InvalidEntrypoint',
                'errorMessage': 'RequestId: %s Error: no EntryPoint or '
                                'Command in ImageConfig' % rid}
        out_hdr['X-Amz-Function-Error'] = 'Unhandled'
        return 200, out_hdr, json.dumps(body).encode(), log
    cwd, tmp = sim.workdir(f['image'].get('WorkingDirectory'))
    timed_out = False
    try:
        proc = subprocess.Popen(sim.run_argv(argv), env=env, cwd=cwd,
                                stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as e:
        note('END RequestId: %s' % rid)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        body = {'errorType': 'Runtime.InvalidEntrypoint',
                'errorMessage': 'RequestId: %s Error: fork/exec %s: %s'
                                % (rid, argv[0], e.strerror)}
        out_hdr['X-Amz-Function-Error'] = 'Unhandled'
        return 200, out_hdr, json.dumps(body).encode(), log

    with sim.lock:
        sim.live.add(proc)

    class Sink(list):
        def append(self, line):
            super().append(line)
            log.append(line)

    out_lines = Sink()
    readers = []
    for pipe, sink in ((proc.stdout, out_lines), (proc.stderr, log)):
        th = threading.Thread(target=read_lines, daemon=True,
                              args=(sim, pipe, (group, stream),
                                    sink if sink is out_lines else None))
        th.start()
        readers.append(th)

    def feed():
        try:
            proc.stdin.write(payload)
        except OSError:
            pass
        try:
            proc.stdin.close()
        except OSError:
            pass

    threading.Thread(target=feed, daemon=True).start()
    try:
        code = proc.wait(timeout=cfg['Timeout'])
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        code = proc.wait()
    with sim.lock:
        sim.live.discard(proc)
    for th in readers:
        th.join(5)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    ms = (time.monotonic() - t0) * 1000
    if timed_out:
        note('%s %s Task timed out after %.2f seconds'
             % (datetime.datetime.now(datetime.timezone.utc)
                .strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z', rid,
                cfg['Timeout']))
    note('END RequestId: %s' % rid)
    note('REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\t'
         'Memory Size: %d MB\tMax Memory Used: %d MB\t'
         % (rid, ms, int(ms) + 1, cfg['MemorySize'], 1))
    if timed_out:
        out_hdr['X-Amz-Function-Error'] = 'Unhandled'
        body = json.dumps({
            'errorType': 'Sandbox.Timedout',
            'errorMessage': 'RequestId: %s Error: Task timed out after '
                            '%.2f seconds' % (rid, cfg['Timeout'])}).encode()
    elif code != 0:
        out_hdr['X-Amz-Function-Error'] = 'Unhandled'
        what = ('signal: %s' % signal.Signals(-code).name.lower()
                .replace('sig', '') if code < 0 else 'exit status %d' % code)
        body = json.dumps({
            'errorType': 'Runtime.ExitError',
            'errorMessage': 'RequestId: %s Error: Runtime exited with '
                            'error: %s' % (rid, what)}).encode()
    else:
        body = b'null'
        if out_lines:
            try:
                json.loads(out_lines[-1])
                body = out_lines[-1].encode()
            except ValueError:
                pass
    return 200, out_hdr, body, log


# ----- HTTP -----

class Verifier(botocore.auth.SigV4Auth):
    def __init__(self, creds, service, region, signed):
        super().__init__(creds, service, region)
        self.signed = signed

    def headers_to_sign(self, request):
        hm = botocore.awsrequest.HTTPHeaders()
        for name in self.signed:
            for v in request.headers.get_all(name) or []:
                hm[name] = v
        return hm

    def canonical_query_string(self, request):
        q = urlsplit(request.url).query
        pairs = []
        for part in q.split('&') if q else []:
            k, _, v = part.partition('=')
            pairs.append((quote(unquote(k), safe='-_.~'),
                          quote(unquote(v), safe='-_.~')))
        return '&'.join('%s=%s' % kv for kv in sorted(pairs))


AUTH_RE = re.compile(r'AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*'
                     r'SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'AmazonAWS'
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def send(self, status, body, ctype='application/json', headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        body = body or b''
        self.send_response(status)
        self.send_header('x-amzn-RequestId', str(uuid.uuid4()))
        if status != 204:
            self.send_header('Content-Type', ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def send_error_for(self, service, e):
        if service == 'lambda':
            body = {'Type': 'User' if e.status < 500 else 'Service',
                    'message': e.message}
            self.send(e.status, body,
                      headers={'x-amzn-ErrorType': e.code})
        else:
            self.send(e.status, {'__type': e.code, 'message': e.message},
                      ctype='application/x-amz-json-1.1',
                      headers={'x-amzn-ErrorType': e.code})

    def dispatch(self):
        sim = self.server.sim
        t0 = time.monotonic()
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            self.close_connection = True
            self.send(411, {'message': 'a Content-Length is required'})
            sim.record('?', '?', 411, time.monotonic() - t0)
            return
        n = int(self.headers.get('Content-Length') or 0)
        self.body = self.rfile.read(n) if n else b''
        path = urlsplit(self.path).path
        if path.startswith('/_sim/'):
            return self.admin(path)
        service, action, status = self.guess_service(), '?', 500
        try:
            service = self.authenticate()
            action = self.action(service)
            fault = sim.take_fault(service, action)
            if fault:
                self.apply_fault(service, fault)
            status = self.serve(service, action)
        except SimError as e:
            status = e.status
            self.send_error_for(service, e)
        except Exception as e:
            status = 500
            code = 'ServiceException' if service == 'lambda' \
                else 'InternalFailure'
            self.send_error_for(service, SimError(500, code, repr(e)))
        finally:
            sim.record(service, action, status, time.monotonic() - t0)

    def apply_fault(self, service, f):
        if f['kind'] == 'slow':
            time.sleep(float(f.get('delay', 1)))
        elif f['kind'] == 'throttle':
            if service == 'lambda':
                raise SimError(429, 'TooManyRequestsException',
                               'Rate exceeded')
            raise SimError(400, 'ThrottlingException', 'Rate exceeded')
        elif f['kind'] == '500':
            if service == 'lambda':
                raise SimError(500, 'ServiceException',
                               'An internal error occurred.')
            raise SimError(500, 'InternalFailure',
                           'The request processing has failed because of '
                           'an unknown error, exception or failure.')

    def authenticate(self):
        sim = self.server.sim
        auth = self.headers.get('Authorization')
        if not auth:
            raise SimError(403, 'MissingAuthenticationTokenException',
                           'Missing Authentication Token')
        m = AUTH_RE.match(auth)
        if not m:
            raise SimError(403, 'IncompleteSignatureException',
                           'Authorization header requires \'Credential\', '
                           '\'SignedHeaders\' and \'Signature\' parameters.')
        cred, signed, sig = m.groups()
        parts = cred.split('/')
        if len(parts) != 5 or parts[4] != 'aws4_request':
            raise SimError(403, 'IncompleteSignatureException',
                           'Credential should be scoped correctly.')
        akid, date, region, service = parts[:4]
        if service not in ('ecs', 'logs', 'lambda'):
            raise SimError(403, 'InvalidSignatureException',
                           'Credential should be scoped to correct service.')
        if akid not in sim.keys:
            raise SimError(403, 'UnrecognizedClientException',
                           'The security token included in the request is '
                           'invalid.')
        amzdate = self.headers.get('X-Amz-Date', '')
        if not re.fullmatch(r'\d{8}T\d{6}Z', amzdate) or \
                amzdate[:8] != date:
            raise SimError(403, 'InvalidSignatureException',
                           'Date in Credential scope does not match '
                           'YYYYMMDD from ISO-8601 version of date from '
                           'HTTP.')
        if region != sim.region:
            raise SimError(403, 'InvalidSignatureException',
                           'Credential should be scoped to a valid region. ')
        signed_list = signed.split(';')
        if 'host' not in signed_list or 'x-amz-date' not in signed_list:
            raise SimError(403, 'InvalidSignatureException',
                           '\'Host\' and \'X-Amz-Date\' must be signed.')
        if self.headers.get('X-Amz-Security-Token') is not None and \
                'x-amz-security-token' not in signed_list:
            raise SimError(403, 'InvalidSignatureException',
                           'X-Amz-Security-Token must be signed.')
        given = self.headers.get('X-Amz-Content-SHA256')
        if given and given != 'UNSIGNED-PAYLOAD' and \
                given != hashlib.sha256(self.body).hexdigest():
            raise SimError(400, 'XAmzContentSHA256Mismatch',
                           'The provided \'x-amz-content-sha256\' header '
                           'does not match what was computed.')
        req = botocore.awsrequest.AWSRequest(
            method=self.command,
            url='http://%s%s' % (self.headers.get('Host', ''), self.path),
            data=self.body)
        hdrs = botocore.awsrequest.HTTPHeaders()
        for k, v in self.headers.items():
            hdrs[k] = v
        req.headers = hdrs
        req.context['timestamp'] = amzdate
        creds = botocore.credentials.Credentials(akid, sim.keys[akid])
        v = Verifier(creds, service, region, signed_list)
        want = v.signature(v.string_to_sign(req, v.canonical_request(req)),
                           req)
        if not hmac.compare_digest(want, sig):
            raise SimError(403, 'InvalidSignatureException',
                           'The request signature we calculated does not '
                           'match the signature you provided. Check your '
                           'AWS Secret Access Key and signing method. '
                           'Consult the service documentation for details.')
        skew = abs(time.mktime(time.strptime(amzdate, '%Y%m%dT%H%M%SZ'))
                   - time.mktime(time.gmtime()))
        if skew > 900:
            raise SimError(403, 'InvalidSignatureException',
                           'Signature expired: %s is now earlier than the '
                           'allowed window.' % amzdate)
        return service

    def guess_service(self):
        tgt = self.headers.get('X-Amz-Target', '')
        if tgt.startswith(ECS_PREFIX):
            return 'ecs'
        if tgt.startswith(LOGS_PREFIX):
            return 'logs'
        return 'lambda' if self.path.startswith('/20') else '?'

    def action(self, service):
        if service == 'lambda':
            return self.lambda_route()[0]
        tgt = self.headers.get('X-Amz-Target', '')
        prefix = ECS_PREFIX if service == 'ecs' else LOGS_PREFIX
        if self.command != 'POST' or not tgt.startswith(prefix):
            raise SimError(400, 'UnknownOperationException', '')
        act = tgt[len(prefix):]
        if act not in (ECS if service == 'ecs' else LOGS):
            raise SimError(400, 'UnknownOperationException', '')
        return act

    def lambda_route(self):
        u = urlsplit(self.path)
        p, m = u.path, self.command
        r = re.fullmatch(r'/2015-03-31/functions/?', p)
        if r:
            if m == 'POST':
                return 'CreateFunction', None
            if m == 'GET':
                return 'ListFunctions', None
        r = re.fullmatch(r'/2015-03-31/functions/([^/]+)'
                         r'(/configuration|/invocations)?', p)
        if r:
            table = {('GET', None): 'GetFunction',
                     ('DELETE', None): 'DeleteFunction',
                     ('GET', '/configuration'): 'GetFunctionConfiguration',
                     ('POST', '/invocations'): 'Invoke'}
            act = table.get((m, r.group(2)))
            if act:
                return act, r.group(1)
        r = re.fullmatch(r'/2017-03-31/tags/(.+)', p)
        if r:
            act = {'GET': 'ListTags', 'POST': 'TagResource',
                   'DELETE': 'UntagResource'}.get(m)
            if act:
                return act, r.group(1)
        raise SimError(404, 'UnknownOperationException',
                       'Unknown operation %s %s' % (m, p))

    def serve(self, service, action):
        sim = self.server.sim
        if service == 'lambda':
            return self.serve_lambda(action)
        try:
            req = json.loads(self.body or b'{}')
            if not isinstance(req, dict):
                raise ValueError('not an object')
        except ValueError:
            raise SimError(400, 'SerializationException',
                           'Start of structure or map found where not '
                           'expected.')
        sim.validate(service, action, req)
        with sim.lock:
            out = (ECS if service == 'ecs' else LOGS)[action](sim, req)
        self.send(200, out, ctype='application/x-amz-json-1.1')
        return 200

    def serve_lambda(self, action):
        sim = self.server.sim
        _, ref = self.lambda_route()
        q = dict(parse_qsl(urlsplit(self.path).query,
                           keep_blank_values=True))
        if action == 'Invoke':
            return self.serve_invoke(ref, q)
        req = {}
        if action in ('CreateFunction', 'TagResource'):
            try:
                req = json.loads(self.body or b'{}')
            except ValueError:
                raise SimError(400, 'InvalidRequestContentException',
                               'Could not parse request body into json')
            if action == 'CreateFunction':
                sim.validate('lambda', action, req)
        with sim.lock:
            if action == 'CreateFunction':
                status, out = lambda_create(sim, req, q)
            elif action == 'ListFunctions':
                status, out = lambda_list(sim, req, q)
            elif action in ('GetFunction', 'GetFunctionConfiguration',
                            'DeleteFunction'):
                f = lambda_fn(sim, ref)
                if action == 'GetFunction':
                    status, out = lambda_get(sim, f, q)
                elif action == 'DeleteFunction':
                    status, out = lambda_delete(sim, f, q)
                else:
                    status, out = 200, fn_config(sim, f)
            else:
                arn = lambda_tag_target(sim, ref)
                if action == 'ListTags':
                    status, out = 200, {'Tags': sim.tags.get(arn, {})}
                elif action == 'TagResource':
                    if not isinstance(req.get('Tags'), dict):
                        raise SimError(400, 'InvalidParameterValueException',
                                       'Tags are required.')
                    sim.tags.setdefault(arn, {}).update(req['Tags'])
                    status, out = 204, None
                else:
                    keys = [v for k, v in parse_qsl(
                        urlsplit(self.path).query) if k == 'tagKeys']
                    for k in keys:
                        sim.tags.get(arn, {}).pop(k, None)
                    status, out = 204, None
        self.send(status, out if out is not None else b'')
        return status

    def serve_invoke(self, ref, q):
        sim = self.server.sim
        with sim.lock:
            f = lambda_fn(sim, ref)
            if f['state'] != 'Active':
                raise SimError(409, 'ResourceConflictException',
                               'The operation cannot be performed at this '
                               'time. The function is currently in the '
                               'following state: ' + f['state'])
        kind = self.headers.get('X-Amz-Invocation-Type', 'RequestResponse')
        if kind not in ('RequestResponse', 'Event', 'DryRun'):
            raise SimError(400, 'InvalidParameterValueException',
                           'Unsupported invocation type ' + kind)
        if self.body:
            try:
                json.loads(self.body)
            except ValueError:
                raise SimError(400, 'InvalidRequestContentException',
                               'Could not parse request body into json: '
                               'Could not parse payload into json')
        if kind == 'DryRun':
            self.send(204, b'')
            return 204
        if kind == 'Event':
            threading.Thread(target=invoke, daemon=True,
                             args=(sim, f, self.body, q,
                                   dict(self.headers))).start()
            self.send(202, b'')
            return 202
        status, hdrs, body, log = invoke(sim, f, self.body, q,
                                         dict(self.headers))
        if self.headers.get('X-Amz-Log-Type') == 'Tail':
            tail = ('\n'.join(log) + '\n').encode()[-4096:]
            hdrs['X-Amz-Log-Result'] = base64.b64encode(tail).decode()
        self.send(status, body, headers=hdrs)
        return status

    def admin(self, path):
        sim = self.server.sim
        if path == '/_sim/faults' and self.command == 'POST':
            try:
                f = json.loads(self.body)
                assert f['kind'] in ('throttle', '500', 'slow')
                f['count'] = int(f.get('count', 1))
            except Exception:
                self.send(400, {'message': 'bad fault'})
                return
            with sim.lock:
                sim.faults.append(f)
            self.send(200, f)
        elif path == '/_sim/faults' and self.command == 'DELETE':
            with sim.lock:
                sim.faults = []
            self.send(200, {})
        elif path == '/_sim/requests' and self.command == 'GET':
            with sim.log_lock:
                out = list(sim.requests)
            self.send(200, out)
        elif path == '/_sim/tasks' and self.command == 'GET':
            with sim.lock:
                out = [t.internal() for t in sim.tasks.values()]
            self.send(200, out)
        else:
            self.send(404, {'message': 'no such admin endpoint'})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--state-dir', required=True)
    ap.add_argument('--region', default='us-east-1')
    ap.add_argument('--account', default='123456789012')
    ap.add_argument('--access-key', default='AKIDSOCKERLESS')
    ap.add_argument('--secret-key', default='sockerless-secret')
    ap.add_argument('--map', action='append', default=[])
    ap.add_argument('--delay', type=float, default=0.05)
    ap.add_argument('--stop-timeout', type=float, default=30)
    args = ap.parse_args()
    os.makedirs(args.state_dir, exist_ok=True)
    server = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.daemon_threads = True
    server.sim = Sim(args)

    def bye(signum, frame):
        with server.sim.lock:
            for t in server.sim.tasks.values():
                t.signal_all(signal.SIGKILL)
            for p in server.sim.live:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
        os._exit(0)

    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)
    print(json.dumps({'port': server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
