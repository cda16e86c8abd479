# frozen_string_literal: true

require "json"
require "net/http"
require "openssl"
require "open3"
require "timeout"

# Drives the project's Panko/Keystone look-alike (lookalike/, a Rust binary)
# from Ruby: start it on an OS-picked port, feed it events and faults, read
# what it was asked. Used by the specs, the demo and the benchmark.
class Lookalike
  BINARY = File.expand_path("../../target/release/panko-lookalike", __dir__)

  # @return [String] "http://127.0.0.1:PORT"; Panko v2 is served at its root
  attr_reader :url
  attr_reader :pid

  # Spawns the service and waits until it listens.
  # @param port [Integer] 0 lets the OS pick
  # @param stream [Integer] realistic events per second, appended live
  # @param lifetime [Integer] seconds before it stops by itself (0: never)
  # @param tls [Array(String, String), nil] certificate chain and key PEM paths: serve HTTPS
  # @param client_ca [String, nil] with tls: require client certificates signed by this CA
  # @param identity [Array(String, String), nil] client certificate and key this driver presents
  # @param cassette [String, nil] a VCR cassette to replay instead of simulating the services
  #   (see {.with_cassette})
  # @param push_to [String, nil] with stream: also POST the streamed events to this URL as
  #   Ceilometer's http publisher does (`http://user:pass@host:port/path?batch=True&timeout=5`);
  #   passed in the environment, so its password stays off the process list. See {#pushed}.
  # @param push_count [Integer, nil] with push_to: stop streaming after this many events
  def self.start(port: 0, token_ttl: nil, username: nil, password: nil, no_auth: false, stream: nil, lifetime: 1800,
                 tls: nil, client_ca: nil, identity: nil, cassette: nil, push_to: nil, push_count: nil)
    unless File.executable?(BINARY)
      raise "#{BINARY} is missing: run `cargo build --release -p panko-lookalike` (or `bundle exec rake compile`)"
    end

    args = [BINARY, "--port", port.to_s, "--lifetime", lifetime.to_s, "--follow-stdin"]
    args += ["--token-ttl", token_ttl.to_s] if token_ttl
    args += ["--username", username] if username
    args += ["--password", password] if password
    args += ["--stream", stream.to_s] if stream
    args << "--no-auth" if no_auth
    args += ["--tls-cert", tls[0], "--tls-key", tls[1]] if tls
    args += ["--tls-client-ca", client_ca] if client_ca
    args += ["--cassette", cassette] if cassette
    args += ["--push-count", push_count.to_s] if push_count
    env = push_to ? {"PANKO_LOOKALIKE_PUSH_TO" => push_to} : {}
    new(*Open3.popen3(env, *args), :identity => identity)
  end

  # Starts the service, yields it, stops it.
  def self.open(**opts)
    service = start(**opts)
    yield service
  ensure
    service&.stop
  end

  # Replays a cassette (recorded with `openstack-http-events record` or
  # `:http => {:record => path}`, or by VCR) for the block: requests are
  # answered by method, path and query; a request the cassette cannot answer
  # gets a 404 and makes this raise once the block is done.
  #
  #   Lookalike.with_cassette("spec/fixtures/cassettes/panko.yml") do |url|
  #     monitor = OpenstackHTTPEventMonitor.new(:http => {:url => url, :auth => {:type => :none}})
  #   end
  #
  # The look-alike reads the file as it is, whatever VCR's serializer wrote:
  # YAML as Psych writes it (block scalars, anchors, `!binary` bodies) or as
  # the monitor records it, or JSON (`.json`, VCR's :json). A file that is
  # no cassette makes it exit, and this raise with its message, naming the
  # file (and, for YAML, the line).
  #
  # @yieldparam url [String] the replay's base URL: every origin recorded
  #   (Keystone's, the event service's) is served here, under its recorded path
  # @yieldparam service [Lookalike]
  # @raise [UnmatchedRequests] when a request had no recorded answer
  def self.with_cassette(path, allow_unmatched: false)
    service = start(:cassette => path)
    result = yield service.url, service
    unmatched = service.unmatched
    raise UnmatchedRequests, "not in #{path}: #{unmatched.join(", ")}" unless allow_unmatched || unmatched.empty?

    result
  ensure
    service&.stop
  end

  # A replayed request had no recorded answer.
  class UnmatchedRequests < StandardError; end

  def initialize(stdin, stdout, stderr, wait, identity: nil)
    @stdin = stdin
    @stderr = stderr
    @wait = wait
    @pid = wait.pid
    line = Timeout.timeout(10) { stdout.gets }
    unless line&.start_with?("LISTENING ")
      stop
      err = @stderr.read.to_s
      raise "panko-lookalike did not start: #{line.inspect} #{err.length > 500 ? err[-500..] : err}".rstrip
    end
    @url = line.split(" ", 2).last.strip
    drain_stderr
    uri = URI(@url)
    tls = {:use_ssl => uri.scheme == "https", :verify_mode => OpenSSL::SSL::VERIFY_NONE}
    if identity
      tls[:cert] = OpenSSL::X509::Certificate.new(File.read(identity[0]))
      tls[:key] = OpenSSL::PKey.read(File.read(identity[1]))
    end
    @http = Net::HTTP.start("127.0.0.1", uri.port, **tls)
  end

  # @return [String] Keystone's base URL (v3 and v2.0 below it)
  def keystone_url
    "#{url}/identity"
  end

  # Inserts Panko events (any `generated`, so late events can be injected).
  def add_events(events)
    control(:post, "events", events)
  end

  # Generates events server-side: count:, event_type:, generated: (one
  # timestamp for all), start:, step_ms:, project_id:, prefix:, traits:.
  def generate(**opts)
    control(:post, "generate", opts)
  end

  # The next /v2/events answer is this body, verbatim (once).
  def raw_events(body)
    request(Net::HTTP::Post.new("/_control/raw_events"), body)
  end

  # Queues fault rules: path ("events", "keystone", "any"), count, status,
  # retry_after, location, delay_ms, truncate, body, reset;
  # endless: true (a 200 whose chunked body never ends),
  # pad_bytes: N (the answer padded with whitespace to N bytes),
  # head_bytes: N (an extra X-Padding header of N bytes),
  # echo: true (a 400 whose error message echoes the request body).
  def faults(*rules)
    control(:post, "faults", rules)
  end

  # require_auth:, token_ttl:, password:, catalog: (service types),
  # projects:, default_limit:;
  # admin: (false: tokens carry role "member", and all_tenants from them
  # matches nothing, as in Panko 10); and how it pages, to play services other
  # than Panko: ignore_marker: true (serves every page as if no marker was
  # sent), reject_marker: true (400 "Unknown argument: \"marker\"", as a
  # WSME service such as Ceilometer's own v2 events API answers), max_limit:
  # N (at most N rows per page whatever limit asks; 0 lifts it);
  # dialect: "ceilometer" (Ceilometer's own v2 events API: only q.* and limit
  # are arguments, anything else such as marker is a 400 "Unknown argument",
  # and all_tenants is a trait filter that matches nothing) or "panko".
  # What /v2/events demands: auth: "keystone" (the default), "token"
  # (X-Auth-Token equal to token:), "bearer" (token:), "basic"
  # (basic_username:, basic_password:), "header" (header_name:,
  # header_value:), "oauth2" (a token POST /oauth/token issued to client_id:
  # and client_secret:, living expires_in: seconds) or "none".
  def configure(**opts)
    control(:post, "config", opts)
  end

  # @return [Integer] OAuth 2.0 tokens POST /oauth/token issued
  def oauth_tokens_issued
    stats.fetch("oauth_tokens_issued")
  end

  # @return [String] the OAuth 2.0 token endpoint
  def oauth_token_url
    "#{url}/oauth/token"
  end

  # Revokes every token issued, Keystone's and OAuth 2.0's.
  def revoke_tokens
    control(:post, "revoke")
  end

  def reset
    control(:post, "reset")
  end

  # @return [Array<Hash>] every non-control request: "method", "path",
  #   "query", "params" ([[name, value], ...]), "token" (present?),
  #   "authorization" (the header's value), "headers" (names), "status"
  def requests
    control(:get, "requests")
  end

  def clear_requests
    control(:delete, "requests")
  end

  def stats
    control(:get, "stats")
  end

  # What the push publisher (`push_to:`) has done so far.
  # @return [Hash{String => Integer, Array<String>}] "accepted" (events in
  #   POSTs answered 2xx), "dropped" (events in POSTs answered 4xx/5xx, which
  #   the publisher drops, as Ceilometer's does), "failed" (events whose POST
  #   got no answer: no connection after the retries, or a timeout), "posts"
  #   (POSTs answered), "accepted_ids" (the accepted events' message_ids)
  def pushed
    control(:get, "pushed")
  end

  # @return [String] what the service wrote to stderr so far (its last 64 KiB)
  def log
    @log_lock.synchronize { @log.dup }
  end

  # @return [Array<String>] with a cassette: the requests it had no answer
  #   for, as "GET /path?query"
  def unmatched
    stats.fetch("unmatched")
  end

  # @return [Array<String>] every token issued so far, revoked ones included
  def tokens
    control(:get, "tokens")
  end

  # @return [String] the id events of project `name` carry in project_id
  def project_id(name)
    @project_ids ||= control(:get, "projects")
    @project_ids.fetch(name)
  end

  # Closes its stdin (it exits on EOF) and waits; idempotent.
  def stop
    return unless @wait

    @http&.finish if @http&.started?
    @stdin.close unless @stdin.closed?
    unless @wait.join(3)
      Process.kill("KILL", @pid)
      @wait.join
    end
    @wait = nil
  rescue Errno::ESRCH
    @wait = nil
  end

  private

  LOG_KEPT = 64 * 1024

  # Reads the service's stderr as it comes, so a chatty service never
  # blocks on a full pipe; keeps the end for {#log}.
  def drain_stderr
    @log = +""
    @log_lock = Mutex.new
    @log_reader = Thread.new do
      loop do
        chunk = @stderr.readpartial(4096)
        @log_lock.synchronize do
          @log << chunk
          @log = @log.byteslice(-LOG_KEPT, LOG_KEPT) if @log.bytesize > LOG_KEPT
        end
      end
    rescue EOFError, IOError
      nil
    end
  end

  def control(verb, what, body = nil)
    klass = {:get => Net::HTTP::Get, :post => Net::HTTP::Post, :delete => Net::HTTP::Delete}.fetch(verb)
    request(klass.new("/_control/#{what}"), body.nil? ? nil : JSON.generate(body))
  end

  def request(req, body)
    req.body = body if body
    req["Content-Type"] = "application/json"
    response = @http.request(req)
    raise "look-alike control #{req.path} failed: #{response.code} #{response.body}" unless response.code == "200"

    JSON.parse(response.body)
  end
end
