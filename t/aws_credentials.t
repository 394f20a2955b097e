#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Credentials from the ECS container credentials endpoint (what a gateway
# running as a Fargate task uses): a temporary key pair with a session
# token, fetched by the workers through the curl bridge, cached, and used
# to sign the ECS calls, which the AWS simulator checks.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;

my $sim = $t->start_aws_sim
    or plan(skip_all => "the AWS simulator did not start: "
                        . ($t->{aws_sim_err} // ''));

$t->plan(4);

# the endpoint: it checks the authorization token and counts its calls

my $creds = $t->write_file('creds.py', <<'EOF');
import http.server, json, sys, datetime
hits = 0
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        global hits
        if self.path == '/hits':
            body = json.dumps({'hits': hits}).encode()
        elif (self.path != '/v2/credentials/sockerless'
              or self.headers.get('Authorization') != 'the-auth-token'):
            self.send_response(403)
            self.end_headers()
            return
        else:
            hits += 1
            exp = (datetime.datetime.utcnow()
                   + datetime.timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
            body = json.dumps({'AccessKeyId': 'AKIDSOCKERLESSTEST',
                               'SecretAccessKey': 'sockerless-test-secret',
                               'Token': 'a-session-token',
                               'Expiration': exp}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF

my $cp = $t->spawn('python3', $creds);
my $port = $cp->wait_output(qr/^\d+$/m, 30) or die "no credentials server";
chomp $port;

delete @ENV{qw(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
               AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)};
$ENV{AWS_CONTAINER_CREDENTIALS_FULL_URI} =
    "http://127.0.0.1:$port/v2/credentials/sockerless";
$ENV{AWS_CONTAINER_AUTHORIZATION_TOKEN} = 'the-auth-token';

my $conf = <<"EOF";
sockerless_backend ecs;
sockerless_aws_region us-east-1;
sockerless_aws_endpoint ecs $sim;
sockerless_aws_endpoint logs $sim;
sockerless_aws_credentials ecs;
sockerless_ecs_subnets subnet-0abc;
sockerless_ecs_callback http://127.0.0.1:$t->{port};
sockerless_ecs_poll_interval 1s;
EOF
chomp $conf;

$t->backend($conf)->write_conf->run;

my $img = 'busybox';

my ($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'signed');
ok($rc == 0 && $out eq "signed\n", 'run with the endpoint\'s credentials')
    or diag("rc $rc out '$out' err '$err'");

($rc, $out, $err) = $t->docker('run', '--rm', $img, 'echo', 'again');
ok($rc == 0 && $out eq "again\n", 'and again');

my (undef, $reqs) = $t->aws_sim_admin('GET', '/_sim/requests');
ok(@{ $reqs // [] } && !(grep { $_->{status} == 403 } @$reqs),
   'the simulator took every signature, session token included')
    or diag(explain($reqs));

my $hits = do {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp');
    print $s "GET /hits HTTP/1.0\r\n\r\n";
    local $/;
    my $r = <$s>;
    ($r =~ /"hits": (\d+)/)[0];
};
ok($hits >= 1 && $hits <= 2,
   "the credentials were fetched once per worker at most ($hits)");

$t->done;
