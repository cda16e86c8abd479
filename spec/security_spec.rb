# frozen_string_literal: true

require "spec_helper"
require_relative "support/tls"

RSpec.describe "Security" do
  with_lookalike

  before(:all) { @ca = TestCA.new }
  after(:all) { @ca&.cleanup }

  def https_options(service, **extra)
    {:url => service.url, :auth => {:type => :none}, :poll_interval => 0.1}.merge(extra)
  end

  describe "TLS" do
    it "verifies certificates by default and trusts a configured CA bundle" do
      Lookalike.open(:tls => @ca.server, :no_auth => true) do |tls|
        expect { OpenstackHTTPEventMonitor.verify!(:http => https_options(tls)) }
          .to raise_error(OpenstackHTTPEventMonitor::SSLError)
        expect(OpenstackHTTPEventMonitor.verify!(:http => https_options(tls, :ca_file => @ca.path("ca.pem")))).to be(true)
      end
    end

    it "trusts a CA given as PEM text (:ca_pem, as ManageIQ stores an endpoint's CA), and names it when it is not PEM" do
      pem = File.read(@ca.path("ca.pem"))
      Lookalike.open(:tls => @ca.server, :no_auth => true) do |tls|
        expect(OpenstackHTTPEventMonitor.verify!(:http => https_options(tls, :ca_pem => pem))).to be(true)
        expect { OpenstackHTTPEventMonitor.verify!(:http => https_options(tls, :ca_pem => "not a certificate")) }
          .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.ca_pem/)
        expect { OpenstackHTTPEventMonitor.new(:http => https_options(tls, :ca_pem => pem, :ca_file => @ca.path("ca.pem"))) }
          .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.ca_pem.*http\.ca_file/)
      end
    end

    it "says so when an https:// URL reaches a port that speaks plain HTTP (an SSLError, not retried)" do
      plain = service.url.sub("http://", "https://")
      expect { OpenstackHTTPEventMonitor.verify!(:http => {:url => plain, :auth => {:type => :none}}) }
        .to raise_error(OpenstackHTTPEventMonitor::SSLError, /port speaks plain HTTP, not TLS: use an http:\/\/ URL/)
    end

    it "turns verification off only when asked, with a warning" do
      io = StringIO.new
      Lookalike.open(:tls => @ca.server, :no_auth => true) do |tls|
        opts = {:logger => Logger.new(io), :http => https_options(tls, :verify_ssl => false)}
        expect(OpenstackHTTPEventMonitor.verify!(opts)).to be(true)
      end
      expect(io.string).to match(/WARN -- : .*TLS certificates are not verified/)
    end

    it "presents a client certificate and key to a service that requires one" do
      identity = [@ca.path("client.pem"), @ca.path("client.key")]
      Lookalike.open(:tls => @ca.server, :client_ca => @ca.path("ca.pem"), :identity => identity, :no_auth => true) do |tls|
        tls.add_events([panko_event("mtls", "2026-01-01T00:00:00.000000")])
        without = https_options(tls, :ca_file => @ca.path("ca.pem"))
        expect(OpenstackHTTPEventMonitor.available?(:http => without)).to be(false)
        with = without.merge(:client_cert => @ca.path("client.pem"), :client_key => @ca.path("client.key"))
        expect(ids(drain(OpenstackHTTPEventMonitor.new(:http => with)))).to eq(%w[mtls])
      end
    end

    it "names the option when the client key is missing" do
      expect { OpenstackHTTPEventMonitor.new(:http => {:url => "https://h", :client_cert => @ca.path("client.pem")}) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http.client_key/)
    end
  end

  describe "proxies" do
    # A second look-alike stands for the proxy: it answers absolute-form
    # requests itself, and its request log shows what went through it.
    it "sends every request through :proxy" do
      Lookalike.open(:no_auth => true) do |proxy|
        proxy.add_events([panko_event("via-proxy", "2026-01-01T00:00:00.000000")])
        service.configure(:require_auth => false)
        opts = {:http => {:url => service.url, :auth => {:type => :none}, :proxy => proxy.url, :poll_interval => 0.1}}
        expect(ids(drain(OpenstackHTTPEventMonitor.new(opts)))).to eq(%w[via-proxy])
        expect(proxy.requests.map { |r| r["path"] }).to include("/v2/events")
        expect(event_requests).to be_empty
      end
    end

    it "honours the standard http_proxy environment variable" do
      Lookalike.open(:no_auth => true) do |proxy|
        proxy.add_events([panko_event("env-proxy", "2026-01-01T00:00:00.000000")])
        saved = ENV.to_h.slice("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")
        begin
          %w[no_proxy NO_PROXY].each { |k| ENV.delete(k) }
          ENV["http_proxy"] = proxy.url
          mon = OpenstackHTTPEventMonitor.new(:http => {:url => service.url, :auth => {:type => :none}, :poll_interval => 0.1})
        ensure
          %w[http_proxy HTTP_PROXY no_proxy NO_PROXY].each { |k| saved.key?(k) ? ENV[k] = saved[k] : ENV.delete(k) }
        end
        expect(ids(drain(mon))).to eq(%w[env-proxy])
        expect(event_requests).to be_empty
      end
    end
  end

  describe "redirects" do
    it "follows a redirect on the same host, and never carries the token to another host" do
      service.add_events([panko_event("r1", "2026-01-01T00:00:00.000000")])
      Lookalike.open(:no_auth => true) do |elsewhere|
        service.faults({"path" => "events", "count" => 1, "status" => 302,
                        "location" => "#{elsewhere.url}/v2/events?q.field=all_tenants&q.op=eq&q.value=True"})
        mon = monitor
        expect(ids(drain(mon))).to eq(%w[r1])
        expect(elsewhere.requests).to be_empty
        expect(mon.stats[:last_error]).to match(/HTTP 302/)
      end

      service.clear_requests
      service.faults({"path" => "events", "count" => 1, "status" => 307, "location" => "/v2/events?limit=100"})
      service.add_events([panko_event("r2", "2026-01-01T00:00:01.000000")])
      expect(ids(drain(monitor))).to eq(%w[r1 r2])
      expect(event_requests.map { |r| r["token"] }).to all(be(true))
    end
  end

  describe "secrets" do
    it "keeps passwords and tokens out of inspect, logs, exceptions and stats, through faults" do
      io = StringIO.new
      logger = Logger.new(io)
      logger.level = Logger::DEBUG
      texts = []
      service.add_events([panko_event("s1", "2026-01-01T00:00:00.000000")])
      service.faults({"path" => "events", "count" => 1, "status" => 500},
                     {"path" => "events", "count" => 1, "status" => 401})
      mon = OpenstackHTTPEventMonitor.new(:logger => logger, :http => keystone_options)
      texts << mon.inspect << mon.to_s
      drain(mon)
      texts << mon.stats.inspect << mon.inspect
      bad = keystone_options.merge(:auth => keystone_options[:auth].merge(:password => "wrong-pass-123"))
      [-> { OpenstackHTTPEventMonitor.verify!(:http => bad) },
       -> { OpenstackHTTPEventMonitor.new(:http => bad.merge(:page_size => -1)) },
       -> { OpenstackHTTPEventMonitor.verify!(:http => {:url => service.url, :auth => {:type => :token, :token => "tok-xyz-987"}}) }]
        .each do |failing|
          failing.call
        rescue StandardError => e
          texts << e.message << e.inspect << e.full_message
        end
      texts << io.string
      secrets = ["secret", "wrong-pass-123", "tok-xyz-987", *service.tokens]
      expect(service.tokens.size).to be >= 2
      haystack = texts.join("\n")
      secrets.each { |s| expect(haystack).not_to include(s) }
      expect(haystack).to include("authenticating again")
    end

    # A Keystone or proxy that echoes the request body in a 400 hands the
    # password back; a password with quotes, a backslash and non-ASCII is
    # echoed JSON-escaped.
    it "scrubs the password from an echoed request body in the log, stats[:last_error] and the exception" do
      password = "S3cr\"et\\w\u00f6rd-42"
      service.configure(:password => password)
      io = StringIO.new
      logger = Logger.new(io)
      logger.level = Logger::DEBUG
      opts = keystone_options
      opts[:auth] = opts[:auth].merge(:password => password)
      forms = [password, JSON.generate(password)[1..-2], JSON.generate(JSON.generate(password))[1..-2],
               "S3cr", "wörd-42"]

      service.faults({"path" => "keystone", "count" => 1, "echo" => true})
      error = begin
        OpenstackHTTPEventMonitor.verify!(:logger => logger, :http => opts)
      rescue OpenstackHTTPEventMonitor::ProtocolError => e
        e
      end
      expect(error).to be_a(OpenstackHTTPEventMonitor::ProtocolError)
      expect(error.message).to match(/HTTP 400: Invalid input for request body: .*"password": ?"\[REDACTED\]"/)

      service.faults({"path" => "keystone", "count" => 1, "echo" => true})
      service.add_events([panko_event("after-echo", "2026-01-01T00:00:00.000000")])
      mon = OpenstackHTTPEventMonitor.new(:logger => logger, :http => opts)
      expect(ids(drain(mon))).to eq(%w[after-echo])
      expect(mon.stats[:last_error]).to include("[REDACTED]")
      expect(io.string).to match(/WARN -- : .*Invalid input for request body.*\[REDACTED\].*retrying/)

      haystack = [error.message, error.full_message, mon.stats.inspect, io.string].join("\n")
      forms.each { |form| expect(haystack).not_to include(form) }
    end

    it "scrubs the token from a 401 whose message names it" do
      mon = monitor
      expect(mon.verify!).to be(true)
      token = service.tokens.last
      body = JSON.generate({"error_message" => "token #{token} is not valid for this endpoint"})
      service.faults({"path" => "events", "count" => 2, "status" => 401, "body" => body})
      mon.start
      error = begin
        mon.each_batch { mon.stop }
      rescue OpenstackHTTPEventMonitor::AuthenticationError => e
        e
      end
      expect(error).to be_a(OpenstackHTTPEventMonitor::AuthenticationError)
      expect(error.message).to include("token [REDACTED] is not valid")
      expect([error.message, mon.stats[:last_error]].join).not_to include(token)

      static = "tok-static-5551234"
      service.configure(:require_auth => false)
      service.faults({"path" => "events", "count" => 1, "status" => 401,
                      "body" => JSON.generate({"error_message" => "unknown token #{static}"})})
      expect { OpenstackHTTPEventMonitor.verify!(:http => {:url => service.url, :auth => {:type => :token, :token => static}}) }
        .to raise_error(OpenstackHTTPEventMonitor::AuthenticationError) { |e|
          expect(e.message).to include("unknown token [REDACTED]")
          expect(e.message).not_to include(static)
        }
    end

    it "shows a malformed URL with its userinfo hidden" do
      io = StringIO.new
      bad = "http://admin:hunter2-pw@127.0.0.1:99999/v2"
      expect(OpenstackHTTPEventMonitor.available?(:logger => Logger.new(io), :http => {:url => bad})).to be(false)
      expect(io.string).to include('http.url: "http://***@127.0.0.1:99999/v2" is not a URL')
      opts = keystone_options
      opts[:auth] = opts[:auth].merge(:url => "https://admin:hunter2-pw@keystone:5000/v3 ")
      expect { OpenstackHTTPEventMonitor.new(:http => opts.merge(:url => "http//u:hunter2-pw@h/")) }
        .to raise_error(OpenstackHTTPEventMonitor::ConfigurationError) { |e| expect(e.message).not_to include("hunter2") }
      expect(io.string).not_to include("hunter2")
    end
  end
end
