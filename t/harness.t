#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Self-check of the test harness with plain nginx (no module): start, serve,
# reload, restart, the error log scanner, tmux and the image builder.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new(no_module => 1);
$t->write_conf('log_format w \'$pid $request\';'
               . "\naccess_log " . $t->prefix . '/w.log w;');
$t->plan(19);

$t->run;
ok(-S $t->sock, 'unix socket exists');

my ($st, $h, $b) = $t->api('GET', '/plain200');
is($st, 200, 'GET /plain200 over tcp');
($st) = $t->api('GET', '/plain200', undef, unix => 1);
is($st, 200, 'GET /plain200 over the unix socket');
($st) = $t->api('GET', '/nothing');
is($st, 404, 'other paths are 404 without the module');

my @w = $t->worker_pids;
is(scalar @w, 2, 'two workers');

# many new connections: both workers serve some (accept_mutex is off by
# default since 1.11.3, so the kernel spreads them)
$t->api('GET', '/plain200') for 1 .. 60;
my %seen = map { (split / /)[0] => 1 } split /\n/, $t->read_file('w.log');
cmp_ok(scalar keys %seen, '>=', 1, 'access log names the serving worker');

$t->reload;
my @w2 = $t->worker_pids;
is(scalar @w2, 2, 'two workers after reload');
ok(!grep({ my $o = $_; grep { $_ == $o } @w2 } @w), 'workers replaced');
($st) = $t->api('GET', '/plain200');
is($st, 200, 'serving after reload');

my $master = $t->master_pid;
$t->restart;
isnt($t->master_pid, $master, 'new master after restart');
($st) = $t->api('GET', '/plain200', undef, unix => 1);
is($st, 200, 'serving after restart');

# commands: exit codes, stdout and stderr apart, stdin from a file
my ($rc, $out, $err) = $t->command('sh', '-c', 'echo out; echo err >&2; '
                                               . 'exit 3');
ok($rc == 3 && $out eq "out\n" && $err eq "err\n", 'command: exit and '
   . 'streams');
$t->write_file('in.txt', "abc\n");
($rc, $out) = $t->command({ stdin => $t->prefix . '/in.txt' }, 'cat');
is($out, "abc\n", 'command: stdin from a file');

my $p = $t->spawn({ stdin => 'pipe' }, 'cat');
$p->write("ping\n");
ok($p->wait_output(qr/ping/, 10), 'spawn: output seen');
$p->close_stdin;
is($p->wait(10), 0, 'spawn: exits at stdin eof');

# the error log scanner must catch an injected line
my $log = $t->read_file('error.log');
$t->write_file('error.log', $log . "2026/01/01 00:00:00 [alert] 1#1: "
               . "injected by harness.t\n");
my @bad = $t->check_error_log;
ok(@bad == 1 && $bad[0] =~ /injected/, 'error log scanner catches [alert]');
$t->write_file('error.log', $log);

# the image builder
($rc, $out, $err) = $t->command({ timeout => 120 }, 'python3',
    $t->{lib} . '/mkimage.py', '--self-test');
is($rc, 0, 'mkimage.py --self-test') or diag("$out$err");
my $tar = eval { $t->busybox_tar };
($rc, $out, $err) = $tar ? $t->command('python3', $t->{lib} . '/mkimage.py',
                                       '--check', $tar) : (1, '', $@);
is($rc, 0, 'cached busybox tarball passes --check') or diag("$out$err");

# tmux: a pane of a fixed size, resized
SKIP: {
    skip 'no tmux', 1 unless $t->has_tool('tmux');

    my $tm = $t->tmux(91, 27, 'sh');
    $tm->type_line('stty size');
    my $a = $tm->wait_screen(qr/^27 91\s*$/m, 10);
    $tm->resize(101, 33);
    $tm->type_line('stty size');
    my $c = $tm->wait_screen(qr/^33 101\s*$/m, 10);
    $tm->type_line('exit 4');
    my $d = $tm->wait_exit(10);
    ok($a && $c && defined $d && $d == 4, 'tmux size, resize, exit status')
        or diag($tm->capture);
}

$t->done;
