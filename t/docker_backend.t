#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# sockerless_backend docker: sockerless in front of a real dockerd started
# by the harness. The docker CLI and the SDK through the gateway (run, -i
# with 16 MiB, -it, exec, logs -f, cp both ways, build, save/load,
# events), the same requests straight and through compared, then the
# daemon stopped under a live stream.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Test::More;
use Sockerless::Test qw(json_decode);

my $t = Sockerless::Test->new;

plan skip_all => 'a dockerd of its own needs root' unless $t->is_root;
plan skip_all => 'no dockerd (make deps installs docker.io)'
    unless $t->has_tool('dockerd');

# a machine where dockerd cannot run at all (no cgroups, say) is said so
my $sock = $t->start_dockerd
    or plan skip_all => "dockerd does not start here: $t->{dockerd_err}";

$t->backend("sockerless_backend docker;\n"
            . "    sockerless_docker_endpoint unix://$sock;")
  ->write_conf->plan(49);
$t->run;

my ($rc, $out, $err) = $t->dockerd_cli('load', '-i', $t->busybox_tar);
ok($rc == 0 && $out =~ /Loaded image: busybox:latest/,
   'busybox loaded into dockerd') or diag($err);

# the daemon is the one behind the gateway

my ($dv) = ($t->dockerd_cli('version', '--format', '{{.Server.Version}}'))[1];
($rc, $out) = $t->docker('version', '--format', '{{.Server.Version}}');
ok($rc == 0 && $out eq $dv && $out =~ /\d/, "docker version through the "
   . "gateway: the daemon's ($out)") or diag($out);

($rc, $out) = $t->docker('version', '--format',
                         '{{range .Server.Components}}{{.Name}} '
                         . '{{index .Details "Endpoint"}};{{end}}');
ok($rc == 0 && $out =~ /^Engine [^;]*;.*sockerless \Qunix:\/\/$sock\E;/,
   'version: a sockerless component names the daemon behind it')
    or diag($out);

my ($pst, $ph) = $t->api('GET', '/_ping');
ok($pst == 200 && ($ph->{'sockerless-daemon'} // '') eq "docker unix://$sock"
   && ($ph->{'api-version'} // '') =~ /^1\.\d+$/,
   '_ping: the daemon\'s API version, and which daemon it is')
    or diag(explain($ph));

($rc, $out) = $t->docker('info', '--format', '{{json .Labels}}');
ok($rc == 0 && $out =~ /"sockerless\.backend=docker"/
   && $out =~ /"sockerless\.endpoint=unix:\/\/\Q$sock\E"/,
   'info: labels name the backend and the daemon') or diag($out);

($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'none',
                               'busybox', 'echo', 'hello');
ok($rc == 0 && $out eq "hello\n", 'run --rm echo') or diag($err);

($rc, $out) = $t->docker('run', '--rm', '--network', 'none', 'busybox',
                         'sh', '-c', 'echo out; echo err >&2; exit 3');
is($rc, 3, 'exit code of the container');

# stdin: 16 MiB through, half-close reaching the process

open my $r, '<', '/dev/urandom' or die "urandom: $!\n";
my $data = '';
read($r, $data, 16 << 20) == 16 << 20 or die "read: $!\n";
close $r;
my $in = $t->write_file('in.bin', $data);

($rc, $out) = $t->docker_in($in, 'run', '-i', '--rm', '--network', 'none',
                            'busybox', 'cat');
ok($rc == 0 && sha256_hex($out) eq sha256_hex($data),
   'run -i cat: 16 MiB round trip');

($rc, $out) = $t->docker_in($in, { unix => 1 }, 'run', '-i', '--rm',
                            '--network', 'none', 'busybox', 'wc', '-c');
ok($rc == 0 && $out =~ /^\s*16777216$/, 'run -i over the unix socket: '
   . 'stdin EOF reaches the process') or diag($out);

# a long-running container: exec, logs -f, cp

($rc, $out, $err) = $t->docker('run', '-d', '--name', 'db1', '--network',
    'none', 'busybox', 'sh', '-c',
    'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done');
chomp(my $id = $out);
ok($rc == 0 && $id =~ /^[0-9a-f]{64}$/, 'run -d') or diag($err);

($rc, $out) = $t->docker_in($in, 'exec', '-i', 'db1', 'cat');
ok($rc == 0 && sha256_hex($out) eq sha256_hex($data),
   'exec -i cat: 16 MiB round trip');

($rc, $out, $err) = $t->docker('exec', 'db1', 'sh', '-c',
                               'echo o; echo e >&2; exit 5');
ok($rc == 5 && $out eq "o\n" && $err eq "e\n",
   'exec: streams apart, exit code 5') or diag("rc $rc '$out' '$err'");

($rc, $out, $err) = $t->docker('update', '--restart', 'on-failure:2',
                               '--pids-limit', '64', 'db1');
my $uhc = $t->inspect('db1')->{HostConfig};
ok($rc == 0 && $uhc->{RestartPolicy}{Name} eq 'on-failure'
   && $uhc->{PidsLimit} == 64, 'update: passed to the daemon')
    or diag($err);

my $follow = $t->docker_spawn('logs', '-f', 'db1');
ok($follow->wait_output(qr/^line3$/m, 30), 'logs -f streams')
    or diag($follow->stderr);
my $seen = () = $follow->stdout =~ /^line/mg;
ok($t->wait_for(30, sub { (() = $follow->stdout =~ /^line/mg) > $seen + 3 }),
   'logs -f keeps streaming');
$follow->kill;

$t->write_file('cp-in.txt', "into the container\n");
($rc, undef, $err) = $t->docker('cp', "$t->{prefix}/cp-in.txt",
                                'db1:/tmp/cp-in.txt');
($rc, $out) = $t->docker('exec', 'db1', 'cat', '/tmp/cp-in.txt')
    if $rc == 0;
ok($rc == 0 && $out eq "into the container\n", 'cp into the container')
    or diag($err);

($rc, undef, $err) = $t->docker('exec', 'db1', 'sh', '-c',
                                'echo out of it > /tmp/cp-out.txt');
($rc, undef, $err) = $t->docker('cp', 'db1:/tmp/cp-out.txt',
                                "$t->{prefix}/cp-out.txt");
ok($rc == 0 && $t->read_file('cp-out.txt') eq "out of it\n",
   'cp out of the container') or diag($err);

# documents keep the client's connection, and pipelined requests are
# nginx's to read, not the daemon's

my $keep = <<'EOF';
import http.client, socket, sys
port = int(sys.argv[1])
h = http.client.HTTPConnection('127.0.0.1', port)
h.request('GET', '/_ping'); r = h.getresponse(); r.read()
first = h.sock
h.request('GET', '/v1.41/containers/json'); r = h.getresponse(); r.read()
print('kept' if h.sock is first and r.status == 200 else 'not kept')
s = socket.create_connection(('127.0.0.1', port))
s.sendall(b'GET /v1.41/version HTTP/1.1\r\nHost: x\r\n\r\n'
          b'GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
data = b''
while True:
    d = s.recv(65536)
    if not d:
        break
    data += d
print(data.count(b'HTTP/1.1 200 OK'), data.endswith(b'OK'))
EOF
($rc, $out, $err) = $t->python($t->write_file('keep.py', $keep), $t->port);
ok($rc == 0 && $out eq "kept\n2 True\n", 'keep-alive for documents; '
   . 'two pipelined requests, two answers') or diag("$out$err");

# the WebSocket attach: the upgrade goes through and frames come back

my $ws = <<'EOF';
import base64, os, socket, sys
port = int(sys.argv[1])
s = socket.create_connection(('127.0.0.1', port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(('GET /v1.41/containers/db1/attach/ws?stream=1&stdout=1 '
           'HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'
           'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n'
           'Sec-WebSocket-Key: ' + key + '\r\n\r\n').encode())
data = b''
while b'\r\n\r\n' not in data:
    data += s.recv(4096)
head, rest = data.split(b'\r\n\r\n', 1)
print(head.split(b'\r\n')[0].decode())
while b'line' not in rest:
    rest += s.recv(4096)
print('frame' if rest[0] & 0x0f in (1, 2) else 'no frame')
EOF
($rc, $out, $err) = $t->python($t->write_file('ws.py', $ws), $t->port);
ok($rc == 0 && $out =~ /^HTTP\/1.1 101 /m && $out =~ /^frame$/m,
   'attach/ws: 101 and WebSocket frames of the output') or diag("$out$err");

# run -it in a pseudo-terminal

SKIP: {
    skip 'no tmux', 2 unless $t->has_tool('tmux');

    my $tm = $t->tmux(100, 30, 'docker', 'run', '-it', '--rm',
                      '--network', 'none', 'busybox', 'sh');
    # (busybox's stty fails on this dockerd's terminals, straight or not)
    $tm->type_line(q{[ -t 0 ] && [ -t 1 ] && tty | sed 's/^/T:/'});
    ok($tm->wait_screen(qr{^T:/dev/pts/\d+\s*$}m, 60), 'run -it: stdin '
       . 'and stdout are a terminal') or diag($tm->capture);
    $tm->type_line('exit 4');
    is($tm->wait_exit(30), 4, 'run -it: exit status');
}

# build, save, load

mkdir "$t->{prefix}/ctx";
$t->write_file('ctx/Dockerfile', "FROM busybox\nRUN echo built > /built\n");
($rc, $out, $err) = $t->command({ timeout => 180,
    env => $t->docker_env({ env => { DOCKER_BUILDKIT => '0' } }) },
    $t->{docker_bin}, 'build', '-t', 'sl-built', "$t->{prefix}/ctx");
ok($rc == 0 && $out =~ /Successfully tagged sl-built:latest/,
   'build of a two-line Dockerfile') or diag("$out$err");

($rc, $out) = $t->docker('run', '--rm', '--network', 'none', 'sl-built',
                         'cat', '/built');
is($out, "built\n", 'the built image runs');

($rc, undef, $err) = $t->docker('save', '-o', "$t->{prefix}/saved.tar",
                                'sl-built');
my $list = `tar -tf $t->{prefix}/saved.tar 2>&1`;
ok($rc == 0 && $list =~ /^manifest\.json$/m, 'save: a docker save tarball')
    or diag($err);

($rc) = $t->docker('rmi', 'sl-built');
is($rc, 0, 'rmi');
($rc, $out, $err) = $t->docker('load', '-i', "$t->{prefix}/saved.tar");
ok($rc == 0 && $out =~ /Loaded image: sl-built:latest/, 'load') or diag($err);

# create pulls a missing image (the seeds' addition), with dockerd's
# words when the registry has not got it

SKIP: {
    my $reg = $t->has_tool('docker-registry') && $t->start_registry;
    skip 'no docker-registry (make deps installs it)', 4 unless $reg;

    ($rc, undef, $err) = $t->dockerd_cli('tag', 'busybox', "$reg/bb:1");
    ($rc, undef, $err) = $t->dockerd_cli('push', "$reg/bb:1") if $rc == 0;
    ($rc, undef, $err) = $t->dockerd_cli('rmi', "$reg/bb:1") if $rc == 0;
    ok($rc == 0, 'an image in a registry, not in the daemon') or diag($err);

    my ($st, $j) = $t->api_json('POST', '/v1.41/containers/create',
                                { Image => "$reg/bb:1",
                                  Cmd => ['echo', 'pulled'],
                                  HostConfig => { NetworkMode => 'none' } });
    ok($st == 201 && ($j->{Id} // '') =~ /^[0-9a-f]{64}$/,
       'create of a missing image pulls it and creates') or diag($st);

    ($rc, $out) = $t->docker('start', '-a', $j->{Id} // 'none');
    is($out, "pulled\n", 'and the container runs');

    ($st, $j) = $t->api_json('POST', '/v1.41/containers/create',
                             { Image => "$reg/nosuch:1" });
    ok($st == 404 && ($j->{message} // '')
       =~ /^manifest for \Q$reg\E\/nosuch:1 not found/,
       'a pull that fails: dockerd\'s 404') or diag("$st $j->{message}");
}

# events

($rc, $out) = $t->docker('events', '--since', time - 600, '--until', time,
                         '--filter', 'container=db1', '--format',
                         '{{.Action}}');
ok($rc == 0 && $out =~ /^create$/m && $out =~ /^start$/m,
   'events: the container\'s create and start') or diag($out);

# the SDK

($rc, $out, $err) = $t->python($t->write_file('sdk.py', <<'EOF'));
import docker
c = docker.from_env()
print(c.containers.run('busybox', 'echo sdk', remove=True,
                       network_mode='none').decode(), end='')
EOF
ok($rc == 0 && $out eq "sdk\n", 'docker SDK for Python: containers.run')
    or diag($err);

# the same requests straight to dockerd and through sockerless

($rc) = $t->docker('run', '--name', 'fixed', '--network', 'none', 'busybox',
                   'sh', '-c', 'echo one; echo two >&2; echo three');
($rc, $out) = $t->docker('stats', '--no-stream', '--format',
                         '{{.Name}}', 'db1');
is($out, "db1\n", 'stats --no-stream');

my @same = (
    [ 'GET', '/_ping' ],
    [ 'GET', '/v1.41/version' ],
    [ 'GET', '/v1.41/containers/json' ],
    [ 'GET', '/v1.41/images/json' ],
    [ 'GET', '/v1.41/containers/db1/json' ],
    [ 'GET', '/v1.41/containers/nosuch/json' ],
    [ 'POST', '/v1.41/containers/create', '{"Image": ' ],
    [ 'GET', '/v1.41/containers/fixed/logs?stdout=1&stderr=1' ],
    [ 'GET', '/v1.41/containers/fixed/logs?stdout=1&stderr=1&timestamps=1' ],
    [ 'GET', '/v1.41/containers/fixed/archive?path=/etc/hostname' ],
);

for my $q (@same) {
    my ($m, $path, $body) = @$q;
    my ($s1, $h1, $b1) = $t->api($m, $path, $body, sock => $sock);
    my ($s2, $h2, $b2) = $t->api($m, $path, $body);
    my $same;

    if (($h1->{'content-type'} // '') =~ /json/) {
        my $j1 = eval { json_decode($b1) };
        my $j2 = eval { json_decode($b2) };
        $same = defined $j1 && defined $j2 && shape($j1) eq shape($j2);
    } else {
        $same = $b1 eq $b2;
    }

    ok($s1 == $s2 && $s1 != 0 && $same
       && ($h1->{'api-version'} // '') eq ($h2->{'api-version'} // ''),
       "same answer straight and through: $m $path")
        or diag("straight $s1 $b1\nthrough $s2 $b2");
}

sub shape {
    my ($v) = @_;
    return ref $v eq 'HASH'
        ? '{' . join(',', map { "$_:" . shape($v->{$_}) } sort keys %$v) . '}'
        : ref $v eq 'ARRAY' ? '[' . (@$v ? shape($v->[0]) : '') . ']'
        : 's';
}

# clients that go away mid-answer: each request ends (nginx's graceful
# stop at the end finds no connection left behind)

my $abandon = <<'EOF';
import socket, sys
port = int(sys.argv[1])
for path in ['/v1.41/containers/db1/wait'] * 10 \
            + ['/v1.41/containers/json?all=1'] * 20:
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(('POST' if 'wait' in path else 'GET').encode() + b' '
              + path.encode() + b' HTTP/1.1\r\nHost: x\r\n\r\n')
    if 'wait' in path:
        s.recv(1)
    s.close()
print('done')
EOF
($rc, $out, $err) = $t->python($t->write_file('abandon.py', $abandon),
                               $t->port);
ok($rc == 0 && $out eq "done\n", 'clients that went away') or diag($err);
($rc, $out) = $t->docker('inspect', '-f', '{{.State.Running}}', 'db1');
is($out, "true\n", 'the container goes on');

# the daemon stops under a live stream: the stream ends, the next request
# gets a clear error, nginx goes on

$follow = $t->docker_spawn('logs', '-f', 'db1');
$follow->wait_output(qr/^line/m, 30);

$t->stop_dockerd;

ok(defined $follow->wait(30), 'logs -f ends when the daemon stops');

($rc, $out, $err) = $t->docker('ps');
my $gone = 'Is the docker daemon running\?';
ok($rc != 0 && $err =~ /Cannot connect to the Docker daemon at \S+\. $gone/,
   'with the daemon gone: a clear error') or diag($err);

my ($st, $j) = $t->api_json('GET', '/v1.41/containers/json');
ok($st == 502 && ($j->{message} // '') =~ /Cannot connect/,
   'the API: 502 with a Docker-style message');

($st) = $t->api('GET', '/plain200');
is($st, 200, 'nginx keeps serving');

$t->done;
