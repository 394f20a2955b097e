#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# sockerless-agent in reverse mode (the clouds' entrypoint) against a fake
# gateway: parks, sessions on them, the exit report, stdout. The checks
# are in t/lib/agent_reverse.py; its TAP is this file's.

use strict;
use warnings;

use FindBin;

my $agent = $ENV{SOCKERLESS_AGENT} // "$FindBin::Bin/../agent/sockerless-agent";

unless (-x $agent) {
    print "1..0 # SKIP no agent at $agent\n";
    exit 0;
}

exec('python3', "$FindBin::Bin/lib/agent_reverse.py", $agent)
    or die "exec python3: $!\n";
