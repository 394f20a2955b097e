#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# The main flows through the Docker SDK for Python (t/lib/sdk_flows.py).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

# the number of checks sdk_flows.py makes
my $FLOWS = 21;

my $t = Sockerless::Test->new->write_conf->plan($FLOWS + 1);
$t->run;

my $tar = eval { $t->busybox_tar };
my ($rc, $out, $err) = $t->python("$FindBin::Bin/lib/sdk_flows.py",
                                   $tar // '/nonexistent',
                                   $t->is_root ? 137 : 143,
                                   { timeout => 300 });

my %res;
my %diag;
my $last;
for (split /\n/, $out) {
    if (/^(not )?ok (\d+) - (.*)$/) {
        $res{$2} = [!$1, $3];
        $last = $2;
    } elsif (/^# (.*)$/ && defined $last) {
        $diag{$last} .= "$1\n";
    }
}

for my $n (1 .. $FLOWS) {
    my $r = $res{$n};
    ok($r && $r->[0], 'sdk: ' . ($r ? $r->[1] : "check $n did not run"))
        or diag($diag{$n} // $err);
}

like($out, qr/^1\.\.$FLOWS$/m, 'sdk_flows.py ran every check');

$t->done;
