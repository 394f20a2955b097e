#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# The AWS simulator (t/sim/aws.py) against real clients: boto3 with strict
# output-shape checks, the AWS CLI, and moto's server for comparison.  The
# checks themselves are in t/lib/aws_sim_flows.py, which prints TAP.

use strict;
use warnings;

use FindBin;
use File::Temp qw(tempfile);
use Test::More;

my $FLOWS = 51;

for my $mod (qw(boto3 botocore)) {
    system('python3', '-c', "import $mod") == 0
        or plan(skip_all => "python3 has no $mod");
}

plan tests => $FLOWS + 1;

my ($efh, $errfile) = tempfile(UNLINK => 1);
my $out = `timeout 900 python3 $FindBin::Bin/lib/aws_sim_flows.py 2>$errfile`;
my $err = do { local $/; <$efh> } // '';

my (%res, %diag, $last);
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
    ok($r && $r->[0], 'aws sim: ' . ($r ? $r->[1] : "check $n did not run"))
        or diag($diag{$n} // substr($err, -4000));
}

like($out, qr/^1\.\.$FLOWS$/m, 'aws_sim_flows.py ran every check')
    or diag(substr($err, -4000));
