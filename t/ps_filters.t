#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker ps: all, quiet, no-trunc, last, size and every filter of the issue
# (id, name, label, status, exited, ancestor, before, since).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(37);
$t->run;

ok($t->load_busybox, 'busybox loaded');

sub id_of {
    my ($rc, $out, $err) = $t->docker(@_);
    chomp $out;
    diag("@_: $err") if $rc != 0;
    return $out;
}

# one running, two exited (0 and 3), one created, in this order
my $c1 = id_of('run', '-d', '--name', 'pf-one', '--label', 'a=1', 'busybox',
               'sh', '-c', 'while true; do sleep 0.1; done');
my $c2 = id_of('run', '-d', '--name', 'pf-two', '--label', 'a=2',
               '--label', 'b', 'busybox', 'true');
$t->docker('wait', 'pf-two');
my $c3 = id_of('run', '-d', '--name', 'pf-three', 'busybox', 'sh', '-c',
               'exit 3');
$t->docker('wait', 'pf-three');
my $c4 = id_of('create', '--name', 'pf-four', 'busybox', 'true');

ok(!grep({ !/^[0-9a-f]{64}$/ } $c1, $c2, $c3, $c4), 'four containers');

sub names {
    my ($rc, $out, $err) = $t->docker('ps', @_, '--format', '{{.Names}}');
    return "error: $err" if $rc != 0;
    return join ',', sort split /\n/, $out;
}

is(names(), 'pf-one', 'ps: running only');
is(names('-a'), 'pf-four,pf-one,pf-three,pf-two', 'ps -a');

my ($rc, $out) = $t->docker('ps', '-q');
is($out, substr($c1, 0, 12) . "\n", 'ps -q: short ids');
($rc, $out) = $t->docker('ps', '-q', '--no-trunc');
is($out, "$c1\n", 'ps -q --no-trunc');

($rc, $out) = $t->docker('ps');
like($out, qr/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m,
     'ps table header');
like($out, qr/^\Q${\ substr($c1, 0, 12)}\E\s+busybox\s+"sh -c 'while true.*"\s+.*\s+Up .*\s+pf-one$/m,
     'ps row: id, image, command, status, name');

is(names('-a', '--filter', 'id=' . substr($c2, 0, 10)), 'pf-two',
   'filter id (prefix)');
is(names('-a', '--filter', 'name=pf-one'), 'pf-one', 'filter name');
is(names('-a', '--filter', 'name=pf-t'), 'pf-three,pf-two',
   'filter name matches a part of the name');
is(names('-a', '--filter', 'name=^/pf-t.*e$'), 'pf-three',
   'filter name is a regexp on /name');
is(names('-a', '--filter', 'label=a'), 'pf-one,pf-two', 'filter label key');
is(names('-a', '--filter', 'label=a=2'), 'pf-two', 'filter label key=value');
is(names('-a', '--filter', 'label=a', '--filter', 'label=b'), 'pf-two',
   'two label filters: both must hold');
is(names('--filter', 'status=exited'), 'pf-three,pf-two',
   'filter status=exited (implies -a)');
is(names('--filter', 'status=created'), 'pf-four', 'filter status=created');
is(names('--filter', 'status=running'), 'pf-one', 'filter status=running');
is(names('-a', '--filter', 'exited=3'), 'pf-three', 'filter exited=3');
is(names('-a', '--filter', 'exited=0'), 'pf-two', 'filter exited=0');
is(names('-a', '--filter', 'ancestor=busybox'),
   'pf-four,pf-one,pf-three,pf-two', 'filter ancestor=busybox');
is(names('-a', '--filter', 'ancestor=sockerless-test/busybox:latest'),
   'pf-four,pf-one,pf-three,pf-two', 'filter ancestor by another tag');
is(names('-a', '--filter', 'before=pf-three'), 'pf-one,pf-two',
   'filter before');
is(names('-a', '--filter', 'since=pf-two'), 'pf-four,pf-three',
   'filter since');
is(names('-n', '1'), 'pf-four', 'ps -n 1: the last created');
is(names('-l'), 'pf-four', 'ps --latest');

# no swarm, and these containers have no health check: what dockerd says
is(names('-a', '--filter', 'health=none'), 'pf-four,pf-one,pf-three,pf-two',
   'filter health=none: every container without a health check');
is(names('-a', '--filter', 'health=healthy'), '', 'filter health=healthy');
like(names('--filter', 'health=fine'),
     qr/Unrecognised filter value for health: fine/, 'bad health value');
is(names('-a', '--filter', 'is-task=false'), 'pf-four,pf-one,pf-three,pf-two',
   'filter is-task=false');
is(names('-a', '--filter', 'is-task=true'), '', 'filter is-task=true');
like(names('--filter', 'is-task=maybe'), qr/invalid filter 'is-task=\[maybe\]'/,
     'bad is-task value');

($rc, $out) = $t->docker('ps', '-a', '-s');
ok($rc == 0 && $out =~ /\sSIZE$/m && $out =~ /\(virtual [\d.]+k?M?B\)/,
   'ps --size') or diag($out);

# the writable layer's real size: what the container wrote
$t->docker('run', '--name', 'pf-size', 'busybox', 'sh', '-c',
           'head -c 70000 /dev/zero > /written');
my (undef, $sz) = $t->api_json('GET', '/containers/pf-size/json?size=1');
my (undef, $img) = $t->api_json('GET', '/images/busybox/json');
ok($sz && $sz->{SizeRw} >= 70000 && $sz->{SizeRw} < 200000
   && $img && $sz->{SizeRootFs} == $sz->{SizeRw} + $img->{Size},
   'inspect --size: SizeRw is what the container wrote')
    or diag(explain([$sz && $sz->{SizeRw}, $sz && $sz->{SizeRootFs}]));
$t->docker('rm', 'pf-size');

($rc, $out, my $err) = $t->docker('ps', '--filter', 'status=bogus');
ok($rc != 0 && $err =~ /invalid filter 'status=bogus'/,
   'invalid status filter value') or diag($err);

$t->docker('create', '--name', 'pf-iso', '--isolation', 'default',
           'busybox', 'true');
($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}', '--filter',
                         'isolation=default');
is($out, "pf-iso\n", 'isolation filter: HostConfig.Isolation');
$t->docker('rm', 'pf-iso');

($rc, $out, $err) = $t->docker('ps', '--filter', 'nosuchkey=1');
ok($rc != 0 && $err =~ /invalid filter 'nosuchkey'/, 'unknown filter key')
    or diag($err);

$t->done;
