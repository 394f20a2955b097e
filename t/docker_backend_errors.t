#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# sockerless_backend docker with a daemon that misbehaves: it answers
# garbage, hangs up without an answer, says nothing until the timeout, or
# is not there at all. Each gives a Docker-style error and nginx goes on.
# And the shipped configurations pass nginx -t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $fake = <<'EOF';
import os, socket, sys, time
mode, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(8)
print('ready', flush=True)
held = []
while True:
    c, _ = s.accept()
    c.recv(65536)
    if mode == 'garbage':
        c.sendall(b'SSH-2.0-OpenSSH_9.2\r\n\r\n')
        c.close()
    elif mode == 'hangup':
        c.close()
    else:
        held.append(c)
EOF

my @cases = (
    [ 'garbage', 502, qr/^the Docker daemon at \S+ sent an invalid answer$/ ],
    [ 'hangup', 502, qr/^the Docker daemon at \S+ closed the connection/ ],
    [ 'silent', 504, qr/^the Docker daemon at \S+ did not answer in time$/ ],
    [ 'absent', 502,
      qr/^Cannot connect to the Docker daemon at unix:\/\/\S+\. Is the /
      . qr/docker daemon running\?$/ ],
);

plan tests => 4 * @cases + 4;

# the shipped configurations are valid as they stand

for my $conf (qw(sockerless.conf docker-backend.conf ecs.conf lambda.conf)) {
    my $t = Sockerless::Test->new;
    my ($rc, $out, $err) = $t->command({ timeout => 30 }, $t->{nginx},
        '-t', '-p', "$t->{prefix}/", '-c', "$FindBin::Bin/../conf/$conf",
        '-g', "load_module $t->{module};");
    ok($rc == 0, "nginx -t of conf/$conf") or diag($err);
    $t->cleanup;
}

for my $case (@cases) {
    my ($mode, $want, $re) = @$case;

    my $t = Sockerless::Test->new;
    my $path = "$t->{prefix}/daemon.sock";
    my $script = $t->write_file('fake.py', $fake);

    unless ($mode eq 'absent') {
        my $p = $t->spawn('python3', $script, $mode, $path);
        $p->wait_output(qr/ready/, 30) or die "fake daemon: " . $p->stderr;
    }

    $t->backend("sockerless_backend docker;\n"
                . "    sockerless_docker_endpoint unix:$path;\n"
                . "    sockerless_docker_timeout 1s;")
      ->write_conf->run;
    $t->{planned} = 1;

    my ($st, $j) = $t->api_json('GET', '/v1.41/containers/json');
    ok($st == $want && ($j->{message} // '') =~ $re,
       "$mode: $want and a Docker-style message")
        or diag("$st " . ($j->{message} // ''));

    my ($rc, $out, $err) = $t->docker('ps');
    my $says = qr/Error response from daemon: the|Cannot connect to the/;
    ok($rc != 0 && $err =~ /(?:$says) Docker daemon/,
       "$mode: the docker CLI says so") or diag($err);

    ($st) = $t->api('GET', '/plain200');
    is($st, 200, "$mode: nginx goes on");

    $t->done;
}
