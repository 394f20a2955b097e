#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker attach: stdin through a pipe, output of a running container, attach
# before start (start -ai), the logs replay of the API, detach keys.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(17);
$t->run;

ok($t->load_busybox, 'busybox loaded');

# attach with stdin from a pipe to a running `cat`
my ($rc, $out, $err) = $t->docker('run', '-d', '-i', '--name', 'aa',
                                  'busybox', 'cat');
is($rc, 0, 'run -d -i cat') or diag($err);

my $p = $t->docker_spawn({ stdin => 'pipe' }, 'attach', 'aa');
$p->write("hello attach\n");
ok($p->wait_output(qr/^hello attach$/m, 30), 'attach: stdin reaches the '
   . 'process, its output comes back') or diag($p->stderr);
$p->write("second\n");
ok($p->wait_output(qr/^second$/m, 30), 'attach: a second line');
# KILL: the CLI would proxy a TERM to the container
$p->kill('KILL');
my $c = $t->inspect('aa');
ok($c && $c->{State}{Running}, 'container runs on after the client left');

# a second client attaches and sees new output only
$p = $t->docker_spawn({ stdin => 'pipe' }, 'attach', 'aa');
$p->write("third\n");
my $o = $p->wait_output(qr/^third$/m, 30);
ok($o && $o !~ /hello attach/, 'a new attach gets new output only');
$p->kill('KILL');

# attach --no-stdin to a container that writes by itself
$t->docker('run', '-d', '--name', 'tick', 'busybox', 'sh', '-c',
           'while true; do echo tick; echo tock >&2; sleep 0.2; done');
$p = $t->docker_spawn('attach', '--no-stdin', 'tick');
ok($p->wait_output(qr/tick/, 30) && $p->wait_output(qr/tock/, 30, 'stderr'),
   'attach --no-stdin: stdout and stderr streams');
ok($p->stdout =~ /tick/ && $p->stdout !~ /tock/ && $p->stderr !~ /tick/,
   'attach: streams apart');
$p->kill('KILL');

# the API replays logs with logs=1 (200 without an upgrade)
my ($st, $h, $b) = $t->api('POST', '/containers/tick/attach?logs=1&stream=0'
                           . '&stdout=1&stderr=1');
my %frames;
while (length $b >= 8) {
    my ($s, $len) = unpack 'C x3 N', substr $b, 0, 8, '';
    $frames{$s} .= substr $b, 0, $len, '';
}
ok($st == 200 && ($frames{1} // '') =~ /^tick$/m
   && ($frames{2} // '') =~ /^tock$/m, 'attach logs=1: multiplexed replay')
    or diag("status $st");
like($h->{'content-type'} // '', qr{^application/vnd\.docker\.multiplexed-stream},
     'attach: multiplexed content type');

# attach before start
($rc, $out) = $t->docker('create', '-i', '--name', 'bb', 'busybox', 'sh',
    '-c', 'read x; echo got:$x; echo e >&2; exit 4');
my $in = $t->write_file('in.txt', "val\n");
($rc, $out, $err) = $t->docker_in($in, 'start', '-ai', 'bb');
ok($out eq "got:val\n" && $err eq "e\n", 'start -ai: attached before start')
    or diag("out '$out' err '$err'");
is($rc, 4, 'start -ai: exit code of the container');

# run -a stdin -a stdout: StdinOnce closes the container's stdin at EOF
($rc, $out) = $t->docker_in($in, 'run', '-a', 'stdin', '-a', 'stdout', '-i',
                            '--rm', 'busybox', 'sh', '-c', 'cat; echo end');
is($out, "val\nend\n", 'run -a stdin -a stdout -i');

# detach keys in a terminal
SKIP: {
    skip 'no tmux', 4 unless $t->has_tool('tmux');

    # through the unix socket: over TCP the docker CLI (28.2) loses its
    # own detach error (Go wraps it in the connection's ReadFrom), half-
    # closes and waits for the container to exit, whatever the daemon
    my $tm = $t->tmux(80, 24, 'env', 'DOCKER_HOST=unix://' . $t->sock,
                      'docker', 'run', '-it', '--name', 'dd', 'busybox', 'sh');
    my $prompt = $tm->wait_screen(qr{^/ # }m, 60);
    ok($prompt, 'run -it: prompt') or diag($tm->capture);
    $tm->send_keys('C-p');
    $tm->send_keys('C-q');
    ok($prompt && defined $tm->wait_exit(30), 'ctrl-p ctrl-q: the client detached')
        or diag($tm->capture);
    $c = $t->inspect('dd');
    ok($c && $c->{State}{Running}, 'the container runs on after detach');

    my $tm2 = $t->tmux(80, 24, 'docker', 'attach', 'dd');
    $tm2->type_line('echo "again$((40+2))"; exit 3');
    ok($tm2->wait_screen(qr/^again42\s*$/m, 30)
       && ($tm2->wait_exit(30) // -1) == 3, 'attach again, run, exit')
        or diag($tm2->capture);
}

$t->done;
