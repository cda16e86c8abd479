# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"

# What a hostile, broken or merely different sender and a damaged disk do to
# the push receiver, over real HTTP and real spool files: the exact set of
# events delivered, the answers, and that no secret leaks.
RSpec.describe "Push receiver against hostile senders and damaged spools" do
  let(:io) { StringIO.new }
  let(:password) { "hostile-pw-5d2a" }

  include_context "with a spool directory"

  alias_method :receiver, :push_receiver
  alias_method :post, :push_answer

  # The ids of every event a monitor delivers until `count` have come.
  def receive(mon, count)
    receive_events(mon, count).map { |e| e.payload["message_id"] }
  end

  # Writes each id as its own POST (one spool record each), then stops the
  # receiver without delivering anything.
  def spool_unread(ids)
    mon = receiver
    mon.start
    ids.each { |id| expect(post(ceilometer_event(id))[0]).to eq(200) }
    mon.stop
    mon.each_batch { raise "nothing was to be delivered yet" } # lets go of the spool
  end

  # The raw socket exchange: writes `text`, waits `pause`, then reads the
  # answer's status line (nil when the connection was closed without one).
  def raw_exchange(text, pause: 0, rest: nil)
    socket = TCPSocket.new("127.0.0.1", @port)
    socket.write(text)
    sleep pause
    begin
      socket.write(rest) if rest
    rescue SystemCallError
      nil
    end
    socket.read_timeout = 5 if socket.respond_to?(:read_timeout=)
    line = Timeout.timeout(5) { socket.gets }
    line&.split(" ", 3)&.at(1)&.to_i
  ensure
    socket&.close
  end

  def auth_header
    "Authorization: Basic #{["ceilometer:#{password}"].pack("m0")}\r\n"
  end

  describe "a damaged spool" do
    it "cuts a torn tail (power loss mid-write), says so, and delivers every whole record exactly once" do
      spool_unread(%w[t1 t2 t3])
      segment = Dir[File.join(@spool, "*.seg")].max
      File.truncate(segment, File.size(segment) - 7)
      expect(receive(receiver.tap(&:start), 2)).to eq(%w[t1 t2])
      expect(io.string).to match(/ERROR -- : .*spool segment .*invalid bytes at its end.*cut/)
    end

    it "skips a corrupt record in the middle and delivers the ones after it" do
      spool_unread(%w[c1 c2 c3])
      segment = Dir[File.join(@spool, "*.seg")].max
      bytes = File.binread(segment)
      second = bytes.index("c2".b) # the message_id of the second record, inside its checksummed body
      bytes[second] = "X"
      File.binwrite(segment, bytes)
      expect(receive(receiver.tap(&:start), 2)).to eq(%w[c1 c3])
      expect(io.string).to match(/ERROR -- : .*spool segment .*corrupt bytes at offset \d+: skipped/)
    end
  end

  it "answers 503 with Retry-After once the spool is full, keeps what it had, and takes events again once delivered" do
    mon = receiver(:max_spool_bytes => 1 << 20)
    mon.start
    big = "x" * 200_000
    answers = (1..8).map do |i|
      response = push_post(@port, ceilometer_event("full-#{i}", :traits => [["blob", 1, big]]),
                           :user => "ceilometer", :pass => password)
      [response.code.to_i, response["Retry-After"]]
    end
    accepted = answers.each_index.select { |i| answers[i][0] == 200 }.map { |i| "full-#{i + 1}" }
    expect(accepted.size).to be_between(3, 5) # 1 MiB holds four or five such events, not eight
    expect(answers.reject { |a| a[0] == 200 }.map(&:first).uniq).to eq([503])
    expect(answers.reject { |a| a[0] == 200 }.map(&:last)).to all(match(/\A[1-9]\d*\z/)) # seconds
    delivered = []
    mon.each_batch do |batch|
      delivered.concat(batch.map { |e| e.payload["message_id"] })
      mon.stop if delivered.size >= accepted.size
    end
    expect(delivered).to eq(accepted)
    expect(io.string).to match(/ERROR -- : .*max_spool_bytes.*refused 1 pushed event\(s\) with 503/)
    mon.start # acknowledged: the spool has room again
    expect(post(ceilometer_event("after", :traits => [["blob", 1, big]]))[0]).to eq(200)
    expect(receive(mon, 1)).to eq(["after"])
  end

  describe "bodies the receiver will not take" do
    it "refuses oversized bodies with 413 whether declared or chunked, and stores nothing of them" do
      mon = receiver(:max_body_bytes => 4096)
      mon.start
      large = [ceilometer_event("big", :traits => [["blob", 1, "y" * 8000]])]
      expect(post(large)[0]).to eq(413)

      uri = URI("http://127.0.0.1:#{@port}/events")
      request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json", "Transfer-Encoding" => "chunked")
      request.basic_auth("ceilometer", password)
      request.body_stream = StringIO.new(JSON.generate(large))
      expect(Net::HTTP.start(uri.host, uri.port, :read_timeout => 5) { |h| h.request(request) }.code).to eq("413")

      expect(post([ceilometer_event("small")])[0]).to eq(200)
      expect(receive(mon, 1)).to eq(["small"])
      expect(mon.stats).to include(:received => 1, :refused => 2)
    end

    it "drops a sender that does not finish its body in :request_timeout (408) and refuses a huge head (431)" do
      mon = receiver(:request_timeout => 0.5)
      mon.start
      body = JSON.generate([ceilometer_event("slow")])
      head = "POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n#{auth_header}" \
             "Content-Length: #{body.bytesize}\r\n\r\n"
      expect(raw_exchange(head + body[0, 10], :pause => 1.5, :rest => body[10..])).to eq(408)
      huge = "POST /events HTTP/1.1\r\nHost: x\r\nX-Padding: #{"p" * 100_000}\r\n\r\n"
      expect(raw_exchange(huge)).to eq(431)
      expect(post([ceilometer_event("prompt")])[0]).to eq(200)
      expect(receive(mon, 1)).to eq(["prompt"])
      expect(io.string).to match(/WARN -- : .*408/)
    end

    it "answers 400 for JSON that holds no event, 415 for another content type, 404 elsewhere, and 405 for GET" do
      mon = receiver
      mon.start
      expect(post([])[0]).to eq(400)
      expect(post("42")[0]).to eq(400)
      expect(post([ceilometer_event("x")], :type => "application/xml")[0]).to eq(415)
      uri = URI("http://127.0.0.1:#{@port}/elsewhere")
      request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json")
      request.basic_auth("ceilometer", password)
      request.body = JSON.generate([ceilometer_event("y")])
      expect(Net::HTTP.start(uri.host, uri.port) { |h| h.request(request) }.code).to eq("404")
      get = Net::HTTP::Get.new(URI("http://127.0.0.1:#{@port}/events"))
      get.basic_auth("ceilometer", password)
      expect(Net::HTTP.start(uri.host, uri.port) { |h| h.request(get) }.code).to eq("405")
      mon.stop
      mon.each_batch { raise "nothing was accepted" }
      expect(mon.stats[:received]).to eq(0)
    end
  end

  it "takes CloudEvents in structured, batched and binary mode" do
    mon = receiver
    mon.start
    ce = ->(id) { {"specversion" => "1.0", "id" => id, "type" => "compute.instance.update", "source" => "/nova", "time" => "2026-11-26T09:00:00Z", "data" => {"tenant_id" => "t-#{id}"}} }
    expect(post(ce["s1"], :type => "application/cloudevents+json")[0]).to eq(200)
    expect(post([ce["b1"], ce["b2"]], :type => "application/cloudevents-batch+json")[0]).to eq(200)
    uri = URI("http://127.0.0.1:#{@port}/events")
    request = Net::HTTP::Post.new(uri, "Content-Type" => "application/json", "ce-specversion" => "1.0", "ce-id" => "h1",
                                       "ce-type" => "compute.instance.delete.end", "ce-source" => "/nova",
                                       "ce-time" => "2026-11-26T09:01:00Z")
    request.basic_auth("ceilometer", password)
    request.body = JSON.generate("tenant_id" => "t-h1")
    expect(Net::HTTP.start(uri.host, uri.port) { |h| h.request(request) }.code).to eq("200")
    events = []
    mon.each_batch do |batch|
      events.concat(batch)
      mon.stop if events.size >= 4
    end
    expect(events.map { |e| [e.payload["message_id"], e.payload["event_type"], e.payload["payload"]] }).to eq(
      [["s1", "compute.instance.update", {"tenant_id" => "t-s1"}], ["b1", "compute.instance.update", {"tenant_id" => "t-b1"}],
       ["b2", "compute.instance.update", {"tenant_id" => "t-b2"}],
       ["h1", "compute.instance.delete.end", {"tenant_id" => "t-h1"}]]
    )
  end

  describe "the shared token in a query parameter" do
    let(:token) { "tok-9f3e-secret" }

    it "admits the right token only, compared whole, and never shows it" do
      mon = receiver(:users => nil, :token => token, :token_param => "key")
      mon.start
      expect(post([ceilometer_event("no-token")], :user => nil)[0]).to eq(401)
      expect(post([ceilometer_event("wrong")], :user => nil, :query => "key=#{token[0..-2]}")[0]).to eq(401)
      expect(post([ceilometer_event("longer")], :user => nil, :query => "key=#{token}x")[0]).to eq(401)
      expect(post([ceilometer_event("other-param")], :user => nil, :query => "token=#{token}")[0]).to eq(401)
      expect(post([ceilometer_event("ok")], :user => nil, :query => "batch=True&key=#{token}&timeout=5")[0]).to eq(200)
      expect(receive(mon, 1)).to eq(["ok"])
      expect(mon.stats).to include(:received => 1, :refused => 4)
      shown = io.string + mon.inspect + mon.stats.to_s + receiver(:users => nil, :token => token).inspect
      expect(shown).not_to include(token)
      expect(shown).not_to include(token[0..-2])
    end

    it "keeps the token and passwords out of option errors" do
      expect do
        receiver(:users => {"ceilometer" => password}, :token => token, :max_body_bytes => "lots")
      end.to raise_error(OpenstackHTTPEventMonitor::ConfigurationError, /http\.source\.max_body_bytes/) { |e|
        expect(e.message + e.inspect).not_to include(token)
        expect(e.message + e.inspect).not_to include(password)
      }
    end
  end

  describe "available? and verify! for a receiver" do
    it "is true when the port binds and the spool opens, and leaves neither held" do
      @port = free_port
      options = {:http => {:source => {:type => :push, :listen => "127.0.0.1:#{@port}", :spool_dir => @spool}}}
      expect(OpenstackHTTPEventMonitor.available?(options.merge(:logger => Logger.new(io)))).to be(true)
      mon = receiver(:users => nil)
      mon.start # neither the port nor the spool's lock is still held by the check
      expect(post([ceilometer_event("after-check")], :user => nil)[0]).to eq(200)
      expect(receive(mon, 1)).to eq(["after-check"])
    end

    it "is false when the port is taken, and says which" do
      holder = TCPServer.new("127.0.0.1", 0)
      port = holder.addr[1]
      options = {:logger => Logger.new(io),
                 :http   => {:source => {:type => :push, :listen => "127.0.0.1:#{port}", :spool_dir => @spool}}}
      expect(OpenstackHTTPEventMonitor.available?(options)).to be(false)
      expect(io.string).to match(/WARN -- : .*event service not available: .*127\.0\.0\.1:#{port}/)
      expect { OpenstackHTTPEventMonitor.verify!(options) }.to raise_error(OpenstackHTTPEventMonitor::Error, /#{port}/)
    ensure
      holder&.close
    end

    it "is false when the spool cannot be created, naming the directory" do
      blocker = File.join(@spool, "a-file")
      File.write(blocker, "")
      spool = File.join(blocker, "spool")
      options = {:logger => Logger.new(io),
                 :http   => {:source => {:type => :push, :listen => "127.0.0.1:#{free_port}", :spool_dir => spool}}}
      expect(OpenstackHTTPEventMonitor.available?(options)).to be(false)
      expect(io.string).to include(spool)
    end

    it "keeps its spool under a Rails app's data/ folder (ManageIQ's) unless told otherwise" do
      port = free_port
      script = <<~RUBY
        require "pathname"
        module Rails
          def self.root = Pathname(#{@spool.inspect})
        end
        require "openstack_http_event_monitor"
        mon = OpenstackHTTPEventMonitor.new(:http => {:source => {:type => :push, :listen => "127.0.0.1:#{port}"}})
        mon.start
        puts "READY"
        $stdout.flush
        $stdin.gets
        mon.stop
      RUBY
      Open3.popen2(RbConfig.ruby, "-I", File.expand_path("../lib", __dir__), "-e", script) do |stdin, stdout, wait|
        expect(Timeout.timeout(30) { stdout.gets }).to eq("READY\n")
        expect(Dir.exist?(File.join(@spool, "data", "openstack_http_event_monitor", port.to_s))).to be(true)
        stdin.puts
        expect(wait.value).to be_success
      end
    end

    it "is false while another monitor holds the spool, naming the holder" do
      mon = receiver
      mon.start
      options = {:logger => Logger.new(io),
                 :http   => {:source => {:type => :push, :listen => "127.0.0.1:#{free_port}", :spool_dir => @spool}}}
      expect(OpenstackHTTPEventMonitor.available?(options)).to be(false)
      expect(io.string).to match(/event service not available: .*#{Regexp.escape(@spool)}.*#{Process.pid}/)
    ensure
      mon&.stop
    end
  end
end
