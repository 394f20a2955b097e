#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker events for volumes, networks and images as dockerd makes them:
# each action with its attributes (a run's network connect and
# disconnect, volume mount and unmount; prunes with "reclaimed"; image
# events with "name" and the image's labels), and the filters that select
# them (volume, network, image without its tag, label, type, event).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(14);
$t->run;

my $since = time - 1;
ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err);
my $root = $t->is_root;

$t->docker('volume', 'create', 'evvol');
$t->docker('network', 'create', 'evnet');
($rc, $out, $err) = $t->docker('run', '--name', 'evc', '--network',
                               'evnet', ($root ? ('-v', 'evvol:/data') : ()),
                               'busybox', 'true');
is($rc, 0, 'a container ran on a network') or diag($err);
my $cid = $t->inspect('evc')->{Id};
my $nid = $t->inspect('evnet')->{Id};
$t->docker('rm', 'evc');
$t->docker('network', 'prune', '-f');
$t->docker('volume', 'prune', '-a', '-f');
$t->docker('container', 'prune', '-f');

$t->docker('create', '--name', 'evsrc', 'busybox', 'true');
($rc, $out, $err) = $t->docker('commit', '--change', 'LABEL team=green',
                               'evsrc', 'evimg:2');
is($rc, 0, 'an image committed with a label') or diag($err);
my $iid = $t->inspect('evimg:2')->{Id};
$t->docker('tag', 'evimg:2', 'evimg:3');
($rc, $out, $err) = $t->docker('save', '-o', $t->prefix . '/evimg.tar',
                               'evimg:3');
is($rc, 0, 'the image saved') or diag($err);
$t->docker('rmi', 'evimg:3');

my $until = time + 1;

sub events {
    my ($rc, $out, $err) = $t->docker('events', '--since', $since,
                                      '--until', $until, '--format',
                                      '{{json .}}', @_);
    return ["error: $err"] if $rc != 0;
    return [ map { Sockerless::Test::json_decode($_) } split /\n/, $out ];
}

sub brief {
    return join '', map {
        my $a = $_->{Actor}{Attributes};
        "$_->{Type} $_->{Action} "
        . join(',', map { "$_=$a->{$_}" } sort keys %$a) . "\n"
    } @{ $_[0] };
}

# the run: connect and mount before start, disconnect and unmount after die
my $run = brief(events('--filter', "container=$cid", '--filter',
                       "network=$nid", '--filter', 'volume=evvol'));
my $exp = "network connect container=$cid,name=evnet,type=bridge\n"
          . ($root ? "volume mount container=$cid,destination=/data,"
                     . "driver=local,propagation=,read/write=true\n" : '');
like(brief(events('--filter', 'event=connect', '--filter', 'event=mount')),
     qr/\A\Q$exp\E\z/, 'a run connects its network and mounts its volume')
    or diag(brief(events()));

my @all = @{ events() };
my @order = map { "$_->{Type} $_->{Action}" }
            grep { ($_->{Actor}{ID} // '') eq $cid
                   || ($_->{Actor}{Attributes}{container} // '') eq $cid }
            @all;
is_deeply(\@order,
          [ 'container create', 'container attach', 'network connect',
            ($root ? 'volume mount' : ()), 'container start', 'container die', 'network disconnect',
            ($root ? 'volume unmount' : ()), 'container destroy' ],
          'in dockerd\'s order around start and die')
    or diag(explain \@order);

is(brief(events('--filter', 'volume=evvol')),
   "volume create driver=local\n"
   . ($root ? "volume mount container=$cid,destination=/data,driver=local,"
              . "propagation=,read/write=true\n"
              . "volume unmount container=$cid,driver=local\n" : '')
   . "volume destroy driver=local\n",
   'volume filter: create, mount, unmount, destroy (by prune)');

is(brief(events('--filter', 'network=evnet')),
   "network create name=evnet,type=bridge\n"
   . "network connect container=$cid,name=evnet,type=bridge\n"
   . "network disconnect container=$cid,name=evnet,type=bridge\n"
   . "network destroy name=evnet,type=bridge\n",
   'network filter, by name');
is(scalar @{ events('--filter', 'network=' . substr($nid, 0, 8)) }, 4,
   'network filter, by id prefix');

my $prunes = brief(events('--filter', 'event=prune'));
like($prunes, qr/\Anetwork\ prune\ reclaimed=0\n
                 volume\ prune\ reclaimed=\d+\n
                 container\ prune\ reclaimed=\d+\n\z/x,
     'prunes of networks, volumes and containers, with "reclaimed"')
    or diag($prunes);

my $img = brief(events('--filter', 'type=image', '--filter',
                        'label=team=green'));
is($img, "image tag name=evimg:2,team=green\n"
         . "image tag name=evimg:3,team=green\n"
         . "image save name=$iid,team=green\n"
         . "image untag name=$iid,team=green\n",
   'image events: tag, save, untag with "name" and the image\'s labels, '
   . 'selected by label')
    or diag($img);

is(brief(events('--filter', 'image=evimg', '--filter', 'type=image')),
   "image tag name=evimg:2,team=green\nimage tag name=evimg:3,team=green\n",
   'image filter: the name without its tag');
my $loads = brief(events('--filter', 'type=image', '--filter',
                         'event=load'));
like($loads, qr/\Aimage load name=sha256:[0-9a-f]{64}\n\z/,
     'a load: its id as "name"') or diag($loads);
is(brief(events('--filter', 'container=evc', '--filter', 'type=network')),
   '', 'a container filter does not select network events');

$t->done;
