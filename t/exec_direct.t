#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker exec without a TTY on the client's own socket: the module hands
# the hijacked connection to the agent, which splices stdin and output.
# Output framing, exit codes, a process that leaves stdin unread, one that
# leaves a child holding stdout, a client that vanishes, both transports.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(18);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'dx', 'busybox',
    'sh', '-c', 'while true; do sleep 1; done');
chomp(my $id = $out);
ok($rc == 0 && $id =~ /^[0-9a-f]{64}$/, 'run -d') or diag($err);

my $agent_log = "$t->{data}/containers/$id/agent.log";

# the payload both ways, over TCP and over the unix socket

open my $r, '<', '/dev/urandom' or die "urandom: $!\n";
my $data = '';
read($r, $data, 4 << 20) == 4 << 20 or die "read: $!\n";
close $r;
my $in = $t->write_file('in.bin', $data);

($rc, $out) = $t->docker_in($in, 'exec', '-i', 'dx', 'cat');
ok($rc == 0 && sha256_hex($out) eq sha256_hex($data),
   'exec -i cat: 4 MiB round trip over TCP');

($rc, $out) = $t->docker_in($in, { unix => 1 }, 'exec', '-i', 'dx', 'cat');
ok($rc == 0 && sha256_hex($out) eq sha256_hex($data),
   'exec -i cat: 4 MiB round trip over the unix socket');

my @direct = $t->read_file($agent_log) =~ /on the client's socket/g;
ok(@direct >= 2, 'both execs ran on the client\'s socket')
    or diag($t->read_file($agent_log));

# stdout and stderr apart, the exit code known when the output ends (the
# CLI asks exec inspect for it right after)

($rc, $out, $err) = $t->docker('exec', 'dx', 'sh', '-c',
    'echo o1; echo e1 >&2; echo o2; head -c 3000000 /dev/zero | tr "\\0" x '
    . '>&2; exit 4');
ok($rc == 4 && $out eq "o1\no2\n" && $err eq "e1\n" . ('x' x 3000000),
   'stdout and stderr apart, 3 MB of stderr, exit code 4')
    or diag("rc $rc out '$out' err " . length($err) . " bytes");

($rc, $out) = $t->docker_in('/dev/null', 'exec', '-i', 'dx', 'cat');
ok($rc == 0 && $out eq '', 'exec -i with an empty stdin');

# a process that never reads its stdin: the client's bytes are left over
# when it ends, and the output must still arrive whole

my $big = $t->write_file('big.bin', 'z' x (32 << 20));
($rc, $out) = $t->docker_in($big, 'exec', '-i', 'dx', 'sh', '-c',
    'head -c 100000 /dev/zero | tr "\\0" y; echo; echo done');
ok($rc == 0 && $out eq ('y' x 100000) . "\ndone\n",
   'stdin left unread: the output arrives whole')
    or diag("rc $rc, " . length($out) . " bytes");

# a child that keeps stdout open: as dockerd, the exec ends with its
# process, and the output that came before is there

($rc, $out) = $t->docker('exec', 'dx', 'sh', '-c',
                         'sleep 30 & echo before');
ok($rc == 0 && $out eq "before\n", 'a background child holding stdout '
   . 'does not hold the exec') or diag("rc $rc out '$out'");

# a client that reads nothing until well after the process has ended: it
# still gets every byte

my $late = $t->write_file('late.sh',
    'docker exec dx head -c 1572864 /dev/zero | { sleep 4; wc -c; }');
($rc, $out, $err) = $t->command({ env => $t->docker_env({ unix => 1 }) },
                                'sh', $late);
ok($rc == 0 && $out =~ /^\s*1572864$/, 'a client that reads late gets all '
   . 'of the output') or diag("rc $rc out '$out' err '$err'");

# a client that goes away mid-exec: the process' stdin ends, the exec is
# recorded as ended, the container and its agent go on

my $py = <<'EOF';
import http.client, json, socket, sys, time
port = int(sys.argv[1])
h = http.client.HTTPConnection('127.0.0.1', port)
h.request('POST', '/v1.50/containers/dx/exec',
          json.dumps({'AttachStdin': True, 'AttachStdout': True,
                      'AttachStderr': True,
                      'Cmd': ['sh', '-c', 'cat > /tmp/got; echo end']}),
          {'Content-Type': 'application/json'})
xid = json.loads(h.getresponse().read())['Id']
body = json.dumps({'Detach': False, 'Tty': False}).encode()
s = socket.create_connection(('127.0.0.1', port))
s.sendall(b'POST /v1.50/exec/' + xid.encode() + b'/start HTTP/1.1\r\n'
          b'Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n'
          b'Content-Type: application/json\r\n'
          b'Content-Length: ' + str(len(body)).encode() + b'\r\n\r\n' + body)
head = b''
while b'\r\n\r\n' not in head:
    head += s.recv(1)
s.sendall(b'abc')
time.sleep(0.5)
s.close()
print(xid)
print(head.split(b'\r\n')[0].decode())
EOF

($rc, $out, $err) = $t->python($t->write_file('vanish.py', $py), $t->port);
my ($xid, $status) = split /\n/, $out;
ok($rc == 0 && ($status // '') =~ /^HTTP\/1.1 101/,
   'raw exec start: 101') or diag($err);

my $ended = $t->wait_for(30, sub {
    my ($st, $j) = $t->api_json('GET', "/exec/$xid/json");
    return $st == 200 && !$j->{Running} && defined $j->{ExitCode}
           && $j->{ExitCode} == 0;
});
ok($ended, 'the exec of a vanished client ends with 0');

($rc, $out) = $t->docker('exec', 'dx', 'cat', '/tmp/got');
ok($rc == 0 && $out eq 'abc', 'what the client sent before it went '
   . 'reached the process');

($rc, $out) = $t->docker('exec', 'dx', 'echo', 'still');
ok($rc == 0 && $out eq "still\n", 'the agent serves the next exec');

# a TTY exec keeps going through nginx (detach keys, resize)

($rc, $out) = $t->docker('exec', '-t', 'dx', 'echo', 'tty');
ok($rc == 0 && $out eq "tty\r\n", 'exec -t still works');

my $log = $t->read_file($agent_log);
my ($last) = $log =~ /.*(exec \S+ started as \d+[^\n]*)/s;
ok(defined $last && $last !~ /client's socket/,
   'a TTY exec does not use the client\'s socket') or diag($last);

# exec into a container that then stops: the exec ends, nothing hangs

($rc) = $t->docker('stop', '-t', '1', 'dx');
is($rc, 0, 'stop');

($rc, $out, $err) = $t->docker('exec', '-i', 'dx', 'cat');
ok($rc != 0 && $err =~ /is not running/, 'exec after stop: not running')
    or diag($err);

$t->done;
