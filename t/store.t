#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# The store: objects are shared by the workers, survive a reload and a full
# restart; containers run on across a restart and stay attachable and
# waitable.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;
my $wlog = $t->prefix . '/w.log';
$t->write_conf("log_format w '\$pid \$request';\naccess_log $wlog w;");
$t->plan(24);
$t->run;

ok($t->load_busybox, 'busybox loaded');

# which worker served a request: the access log line that names it
# (nginx logs a request after it has answered it: wait for the line)
sub served_by {
    my ($tag) = @_;
    for (1 .. 100) {
        my ($line) = grep { index($_, $tag) >= 0 }
                     split /\n/, $t->read_file($wlog);
        return $1 if $line && $line =~ /^(\d+) /;
        select(undef, undef, undef, 0.02);
    }
    return undef;
}

# create through one worker, read through the other: new connections are
# spread over the workers by the kernel, try until a pair crosses
my $crossed = 0;
my %pids;
for my $n (1 .. 60) {
    my ($st, $j) = $t->api_json('POST', "/containers/create?name=xw$n",
                                { Image => 'busybox', Cmd => ['true'] });
    last unless $st == 201;
    my ($st2) = $t->api('GET', "/containers/xw$n/json?probe=$n");
    my $wc = served_by("name=xw$n ");
    my $wr = served_by("probe=$n ");
    $pids{$_} = 1 for grep { defined } $wc, $wr;
    if (defined $wc && defined $wr && $wc != $wr) {
        $crossed = $st2 == 200 ? 1 : -1;
        last;
    }
}
is(scalar keys %pids, 2, 'both workers served requests');
is($crossed, 1, 'a container created through one worker is seen by the '
   . 'other');

# listing through many connections: every worker sees every container
my %lists;
for my $n (1 .. 40) {
    my ($st, $j) = $t->api_json('GET', "/containers/json?all=1&l=$n");
    my $w = served_by("l=$n ");
    $lists{$w // '?'}{ref $j eq 'ARRAY' ? scalar @$j : -1} = 1;
}
my @counts = map { keys %$_ } values %lists;
ok(keys %lists == 2 && keys %{{ map { $_ => 1 } @counts }} == 1
   && $counts[0] > 0, 'both workers list the same containers')
    or diag(explain(\%lists));

# objects to keep: a running container, an attachable one, an exited one
# with logs, an exec record, the image
my ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'keep', 'busybox',
    'sh', '-c', q{trap 'exit 7' TERM; echo started; }
                . q{while true; do sleep 0.1; done});
chomp(my $keep = $out);
ok($rc == 0 && $keep =~ /^[0-9a-f]{64}$/, 'run -d keep') or diag($err);
($rc) = $t->docker('run', '-d', '-i', '--name', 'cat', 'busybox', 'cat');
($rc) = $t->docker('run', '--name', 'done', 'busybox', 'sh', '-c',
                   'echo old-output; exit 2');
my ($st, $j) = $t->api_json('POST', '/containers/keep/exec',
                            { Cmd => ['sh', '-c', 'exit 3'] });
my $eid = $j ? $j->{Id} // '' : '';
$t->api('POST', "/exec/$eid/start", { Detach => JSON::PP::true });
my $ex = $t->wait_for(30, sub {
    my ($st, $j) = $t->api_json('GET', "/exec/$eid/json");
    $j && defined $j->{ExitCode} && !$j->{Running} ? $j : undef;
});
is($ex ? $ex->{ExitCode} : undef, 3, 'exec record with ExitCode 3');

my $img = $t->inspect('busybox');
my $before = $t->inspect('keep');

sub kept {
    my ($when) = @_;

    my ($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}');
    my %n = map { $_ => 1 } split /\n/, $out;
    ok($n{keep} && $n{cat} && $n{done} && $n{xw1}, "$when: containers kept");

    my $c = $t->inspect('keep');
    ok($c && $before && $c->{State}{Running}
       && $c->{State}{Pid} == $before->{State}{Pid}
       && $c->{State}{StartedAt} eq $before->{State}{StartedAt},
       "$when: the running container is the same process");

    my $d = $t->inspect('done');
    ok($d && $d->{State}{Status} eq 'exited' && $d->{State}{ExitCode} == 2,
       "$when: exited container state kept");
    ($rc, $out) = $t->docker('logs', 'done');
    is($out, "old-output\n", "$when: logs kept");

    my ($st, $j) = $t->api_json('GET', "/exec/$eid/json");
    ok($st == 200 && ($j->{ExitCode} // -1) == 3, "$when: exec record kept");

    my $i = $t->inspect('busybox');
    ok($i && $img && $i->{Id} eq $img->{Id}, "$when: image kept");

    ($rc, $out) = $t->docker('exec', 'keep', 'echo', 'alive');
    is($out, "alive\n", "$when: exec into the running container");
}

$t->reload;
kept('reload');

$t->restart;
kept('restart');

# attach after the restart
my $p = $t->docker_spawn({ stdin => 'pipe' }, 'attach', 'cat');
$p->write("after restart\n");
ok($p->wait_output(qr/^after restart$/m, 30), 'attach after the restart')
    or diag($p->stderr);
$p->kill('KILL');

# wait after the restart, released by a stop
my $w = $t->docker_spawn('wait', 'keep');
# (if the stop wins the race, wait answers at once with the same code)
($rc) = $t->docker('stop', '-t', '30', 'keep');
is($rc, 0, 'stop after the restart');
is($w->wait(30), 0, 'docker wait returns after the stop');
is($w->stdout, "7\n", 'docker wait prints the exit code');

$t->done;
