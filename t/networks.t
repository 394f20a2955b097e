#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker network: the builtin networks, create (subnets picked or given,
# overlaps refused, names unique), ls with filters, inspect, connect and
# disconnect, rm (409 in use, builtins refused), prune, events; as root
# the isolation: containers on one network reach each other by name and
# alias, ones on another do not, --network none has only loopback.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf;
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err) = $t->docker('network', 'ls', '--format',
                                  '{{.Name}} {{.Driver}}');
is(join(',', sort split /\n/, $out), 'bridge bridge,host host,none null',
   'the builtin networks, with their drivers');

my $bridge = $t->inspect('bridge', 'network');
is($bridge->{IPAM}{Config}[0]{Subnet}, '172.17.0.0/16',
   'bridge: docker0\'s subnet');

($rc, my $bid) = $t->docker('network', 'inspect', '-f', '{{.Id}}',
                            'bridge');
$t->restart;
($rc, $out) = $t->docker('network', 'inspect', '-f', '{{.Id}}', 'bridge');
is($out, $bid, 'its id survives a restart');

# create

($rc, my $n1, $err) = $t->docker('network', 'create', '--label', 'team=a',
                                 'net1');
chomp $n1;
ok($rc == 0 && $n1 =~ /^[0-9a-f]{64}$/, 'create') or diag($err);

my $v = $t->inspect('net1', 'network');
ok($v && $v->{Driver} eq 'bridge' && $v->{Scope} eq 'local'
   && $v->{IPAM}{Config}[0]{Subnet} eq '172.18.0.0/24'
   && $v->{IPAM}{Config}[0]{Gateway} eq '172.18.0.1'
   && $v->{Labels}{team} eq 'a' && !exists $v->{_sls},
   'a free /24 from 172.18.0.0 with its gateway') or diag(explain($v));

($rc, $out, $err) = $t->docker('network', 'create', 'net1');
ok($rc != 0 && $err =~ /network with name net1 already exists/,
   'a taken name') or diag($err);

($rc, my $n2, $err) = $t->docker('network', 'create', '--subnet',
                                 '10.77.0.0/16', '--gateway', '10.77.0.254',
                                 'net2');
chomp $n2;
$v = $t->inspect('net2', 'network');
ok($rc == 0 && $v->{IPAM}{Config}[0]{Gateway} eq '10.77.0.254',
   'a given subnet and gateway') or diag($err);

($rc, $out, $err) = $t->docker('network', 'create', '--subnet',
                               '10.77.3.0/24', 'net3');
ok($rc != 0 && $err =~ /Pool overlaps with other one on this address space/,
   'an overlapping subnet is refused') or diag($err);

($rc, $out, $err) = $t->docker('network', 'create', '-d', 'overlay', 'ov');
ok($rc != 0 && $err =~ /not supported/, 'overlay is refused') or diag($err);

($rc, $out, $err) = $t->docker('network', 'create', '-d', 'nosuch', 'ns');
ok($rc != 0 && $err =~ /plugin "nosuch" not found/, 'unknown driver')
    or diag($err);

# filters

($rc, $out) = $t->docker('network', 'ls', '-q', '--no-trunc', '--filter',
                         'label=team=a');
is($out, "$n1\n", 'label filter');
($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'type=custom');
is(join(',', sort split /\n/, $out), 'net1,net2', 'type=custom');
($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'type=builtin');
is(join(',', sort split /\n/, $out), 'bridge,host,none', 'type=builtin');
($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'name=net2');
is($out, "net2\n", 'name filter');
($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'id=' . substr($n2, 0, 10));
is($out, "net2\n", 'id filter');
($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'driver=null');
is($out, "none\n", 'driver filter');

# containers on them

($rc, my $c1, $err) = $t->docker('create', '--name', 'c1', '--network',
                                 'net1', '--network-alias', 'web',
                                 'busybox', 'sleep', '60');
chomp $c1;
is($rc, 0, 'create on net1') or diag($err);

$v = $t->inspect('c1');
my $ep = $v->{NetworkSettings}{Networks}{net1};
ok($ep && $ep->{NetworkID} eq $n1 && $ep->{IPAddress} eq '172.18.0.2'
   && $ep->{Gateway} eq '172.18.0.1' && $ep->{IPPrefixLen} == 24
   && $ep->{MacAddress} eq '02:42:ac:12:00:02'
   && $ep->{EndpointID} =~ /^[0-9a-f]{64}$/
   && (grep { $_ eq 'web' } @{ $ep->{Aliases} })
   && (grep { $_ eq 'c1' } @{ $ep->{DNSNames} }),
   'the endpoint in inspect') or diag(explain($v->{NetworkSettings}));

($rc, my $c2, $err) = $t->docker('create', '--name', 'c2', '--network',
                                 'net2', '--ip', '10.77.0.9', 'busybox',
                                 'sleep', '60');
chomp $c2;
$v = $t->inspect('c2');
is($v->{NetworkSettings}{Networks}{net2}{IPAddress}, '10.77.0.9',
   'a static address') or diag($err);

($rc, $out, $err) = $t->docker('create', '--network', 'net2', '--ip',
                               '10.77.0.9', 'busybox', 'true');
ok($rc != 0 && $err =~ /Address already in use/, 'a taken address')
    or diag($err);

($rc, my $c3) = $t->docker('create', '--name', 'c3', 'busybox', 'true');
$v = $t->inspect('c3');
ok($v->{NetworkSettings}{Networks}{bridge}{IPAddress} =~ /^172\.17\.0\.\d+$/
   && $v->{NetworkSettings}{IPAddress}
      eq $v->{NetworkSettings}{Networks}{bridge}{IPAddress},
   'the default bridge, with the top-level fields')
    or diag(explain($v->{NetworkSettings}));

$v = $t->inspect('net1', 'network');
ok($v->{Containers}{$c1}
   && $v->{Containers}{$c1}{IPv4Address} eq '172.18.0.2/24'
   && $v->{Containers}{$c1}{Name} eq 'c1',
   'network inspect lists the container') or diag(explain($v));

($rc, $out) = $t->docker('ps', '-a', '--format', '{{.Names}}', '--filter',
                         'network=net1');
is($out, "c1\n", 'ps --filter network=');

($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'dangling=true');
is($out, '', 'dangling=true: none, both are used');

($rc, $out, $err) = $t->docker('network', 'rm', 'net1');
ok($rc != 0 && $err =~ /has active endpoints/, 'rm of a network in use')
    or diag($err);

($rc, $out, $err) = $t->docker('network', 'rm', 'bridge');
ok($rc != 0 && $err =~ /pre-defined network and cannot be removed/,
   'rm of a builtin') or diag($err);

# connect and disconnect, stopped

($rc, $out, $err) = $t->docker('network', 'connect', '--alias', 'other',
                               'net2', 'c1');
$v = $t->inspect('c1');
ok($rc == 0 && $v->{NetworkSettings}{Networks}{net2}{IPAddress}
               eq '10.77.0.1',
   'connect') or diag($err, explain($v->{NetworkSettings}));

($rc, $out, $err) = $t->docker('network', 'connect', 'net2', 'c1');
ok($rc != 0 && $err =~ /already exists in network net2/,
   'connect twice') or diag($err);

($rc, $out, $err) = $t->docker('network', 'disconnect', 'net2', 'c1');
$v = $t->inspect('c1');
ok($rc == 0 && !$v->{NetworkSettings}{Networks}{net2}, 'disconnect')
    or diag($err);

$t->docker('rm', '-f', 'c1', 'c2', 'c3');

$v = $t->inspect('net2', 'network');
is_deeply($v->{Containers}, {}, 'removed containers leave the network');

# prune

($rc, $out) = $t->docker('network', 'prune', '-f');
ok($out =~ /net1/ && $out =~ /net2/, 'prune') or diag($out);
($rc, $out) = $t->docker('network', 'ls', '--format', '{{.Name}}',
                         '--filter', 'type=custom');
is($out, '', 'prune left none');

($rc, $out, $err) = $t->docker('network', 'create', '--subnet',
                               '10.77.3.0/24', 'net3');
is($rc, 0, 'the subnet is free again') or diag($err);
($rc, $out, $err) = $t->docker('network', 'rm', 'net3');
is($rc, 0, 'rm') or diag($err);

# isolation: root only (network namespaces, bridges, veth pairs)

SKIP: {
    skip 'network isolation needs root', 17 unless $t->is_root;

    $t->docker('network', 'create', 'iso1');
    $t->docker('network', 'create', 'iso2');

    ($rc, $out, $err) = $t->docker('run', '-d', '--name', 'srv', '--network',
                           'iso1', '--network-alias', 'www', 'busybox', 'sh',
                           '-c', 'mkdir /w && echo hi > /w/index.html && '
                           . 'exec httpd -f -p 80 -h /w');
    is($rc, 0, 'a server on iso1') or diag($err);
    $t->docker('run', '-d', '--name', 'ncs', '--network', 'iso1', 'busybox',
               'sh', '-c', 'while true; do echo pong | nc -l -p 7000; done');

    my $ip = $t->inspect('srv')->{NetworkSettings}{Networks}{iso1}{IPAddress};
    my $br = 'sls-' . substr($t->inspect('iso1')->{Id}, 0, 8);
    ok(-e "/sys/class/net/$br", "the network's bridge $br");

    ($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'iso1',
                                   'busybox', 'ping', '-c1', '-W5', 'srv');
    is($rc, 0, 'ping by name on one network') or diag($out, $err);

    ($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'iso1',
                                   'busybox', 'wget', '-qO-', 'http://www/');
    is($out, "hi\n", 'wget by alias') or diag($err);

    ($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'iso1',
                                   'busybox', 'sh', '-c',
                                   'for i in 1 2 3 4 5; do nc ncs 7000 '
                                   . '</dev/null && break; sleep 1; done');
    like($out, qr/^pong$/m, 'nc by name') or diag($err);

    ($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'iso2',
                                   'busybox', 'sh', '-c',
                                   "timeout 3 wget -qO- http://$ip/; "
                                   . 'exit $?');
    # (busybox's wget -T crashes, and timeout cannot end a pid 1)
    ok($rc != 0 && $out eq '', 'another network cannot reach it')
        or diag($out, $err);

    ($rc, $out) = $t->docker('run', '--rm', '--network', 'iso2', 'busybox',
                             'ping', '-c1', '-W2', $ip);
    isnt($rc, 0, 'nor ping it');

    ($rc, $out) = $t->docker('run', '--rm', 'busybox', 'ip', '-o', '-4',
                             'addr', 'show', 'eth0');
    like($out, qr/inet 172\.17\.\d+\.\d+\/16/,
         'the default bridge: eth0 in 172.17.0.0/16');

    ($rc, $out) = $t->docker('run', '--rm', '--network', 'none', 'busybox',
                             'ip', '-o', 'link');
    ok($out =~ /^1: lo:/ && (() = $out =~ /^\d+:/mg) == 1,
       '--network none: loopback only') or diag($out);

    # live connect and disconnect

    $t->docker('run', '-d', '--name', 'cli', '--network', 'iso2', 'busybox',
               'sleep', '300');
    ($rc, $out, $err) = $t->docker('network', 'connect', 'iso1', 'cli');
    is($rc, 0, 'connect of a running container') or diag($err);

    ($rc, $out) = $t->docker('exec', 'cli', 'timeout', '5', 'wget', '-qO-',
                             'http://www/');
    is($out, "hi\n", 'it reaches the server at once');

    ($rc, $out) = $t->docker('exec', 'cli', 'ip', '-o', '-4', 'addr');
    ok($out =~ /eth0\s+inet 172\./ && $out =~ /eth1\s+inet 172\./,
       'two interfaces') or diag($out);

    ($rc, $out) = $t->docker('exec', 'srv', 'ping', '-c1', '-W5', 'cli');
    is($rc, 0, 'the running server resolves the container connected later')
        or diag($out);

    ($rc, $out, $err) = $t->docker('network', 'disconnect', 'iso1', 'cli');
    is($rc, 0, 'disconnect of a running container') or diag($err);

    ($rc, $out) = $t->docker('exec', 'cli', 'timeout', '3', 'wget', '-qO-',
                             "http://$ip/");
    ok($rc != 0 && $out eq '', 'the server is out of reach again')
        or diag($out);

    ($rc, $out) = $t->docker('exec', 'srv', 'cat', '/etc/hosts');
    unlike($out, qr/\bcli\b/, 'and its hosts file forgot it');

    $t->docker('rm', '-f', 'srv', 'ncs', 'cli');
    $t->docker('network', 'rm', 'iso1', 'iso2');
    ok(!-e "/sys/class/net/$br", 'rm of the network removes its bridge');
}

($rc, $out) = $t->docker('events', '--since', '0', '--until', time + 1,
                         '--filter', 'type=network', '--format',
                         '{{.Action}}');
ok($out =~ /^create$/m && $out =~ /^connect$/m && $out =~ /^disconnect$/m
   && $out =~ /^destroy$/m, 'network events') or diag($out);

# without network isolation (as without root): user networks are
# refused at start with the reason, the default bridge is the host's

$t->stop;
$t->write_conf('sockerless_memory_namespaces off;');
$t->run;

$t->docker('network', 'create', 'plain');
($rc, $out, $err) = $t->docker('run', '--rm', '--network', 'plain',
                               'busybox', 'true');
ok($rc != 0 && $err =~ /network isolation needs root/,
   'no isolation: a user network is refused at start') or diag($err);
($rc, $out, $err) = $t->docker('run', '--rm', 'busybox', 'echo', 'ok');
is($out, "ok\n", 'the default bridge still runs') or diag($err);
$t->docker('container', 'prune', '-f');
$t->docker('network', 'rm', 'plain');

$t->done;
done_testing();
