# frozen_string_literal: true

require "spec_helper"
require "open3"
require "rbconfig"
require "tmpdir"

# The gem as a user gets it: `gem build`, `gem install --local` (which runs
# extconf.rb and cargo), then `require` from a directory that is not this
# checkout, with nothing of the checkout on the load path.
RSpec.describe "the packaged gem", :timeout => 1200 do
  with_lookalike

  root = File.expand_path("..", __dir__)

  around do |example|
    Dir.mktmpdir("ohem-gem") do |dir|
      @dir = dir
      # Reuse the compiled dependencies of `rake compile`: only the two
      # project crates are rebuilt, from the installed gem's own sources.
      @env = {
        "GEM_HOME" => File.join(dir, "home"), "GEM_PATH" => File.join(dir, "home"),
        "CARGO_TARGET_DIR" => File.join(root, "target"), "HOME" => ENV.fetch("HOME", dir),
        "OHEM_DEBUG_ENTRY_POINTS" => nil # as a user installs it
      }
      example.run
    end
  end

  def run!(*cmd, chdir:)
    out, status = Bundler.with_unbundled_env { Open3.capture2e(@env, *cmd, :chdir => chdir) }
    expect(status).to be_success, "#{cmd.join(" ")} failed:\n#{out[-4000..] || out}"
    out
  end

  it "`rake build` writes the gem into pkg/, not the checkout's root" do
    before = Dir[File.join(root, "*.gem")]
    out, status = Open3.capture2e("rake", "build", :chdir => root)
    expect(status).to be_success, out
    gem = File.join(root, "pkg", "openstack_http_event_monitor-#{OpenstackHTTPEventMonitor::VERSION}.gem")
    expect(File.size?(gem)).to be > 0
    expect(Dir[File.join(root, "*.gem")]).to eq(before)
  end

  it "the precompiled platform gem installs with neither cargo nor network, and runs" do
    out, status = Open3.capture2e("rake", "native_gem", :chdir => root)
    expect(status).to be_success, out[-4000..] || out
    gem = File.join(root, out.lines.last.chomp)
    expect(File.basename(gem)).to eq("openstack_http_event_monitor-#{OpenstackHTTPEventMonitor::VERSION}-#{Gem::Platform.local}.gem")
    offline = @env.merge(
      "PATH"              => ENV.fetch("PATH").split(File::PATH_SEPARATOR).reject { |d| File.exist?(File.join(d, "cargo")) }
                                .join(File::PATH_SEPARATOR),
      "CARGO_HOME"        => File.join(@dir, "empty-cargo"), "RUSTUP_HOME" => File.join(@dir, "empty-rustup"),
      "CARGO_NET_OFFLINE" => "true"
    )
    out, status = Bundler.with_unbundled_env { Open3.capture2e(offline, "gem", "install", "--local", "--no-document", gem, :chdir => @dir) }
    expect(status).to be_success, out
    expect(out).not_to include("Building native extensions")

    service.generate(:count => 5, :start => "2026-03-01T00:00:00", :step_ms => 5, :prefix => "p")
    exe = File.join(@env["GEM_HOME"], "bin", "openstack-http-events")
    env = offline.merge("OS_AUTH_URL" => service.keystone_url, "OS_USERNAME" => "admin", "OS_PASSWORD" => "secret")
    out, err, status = Bundler.with_unbundled_env { Open3.capture3(env, exe, "tail", "--once", :chdir => @dir) }
    expect(status).to be_success, err
    expect(out.lines.map { |l| JSON.parse(l)["message_id"] }).to eq((1..5).map { |i| format("p-%07d", i) })
  end

  it "the source gem, when it cannot build, says what to do instead" do
    run!("gem", "build", "openstack_http_event_monitor.gemspec", "--output", File.join(@dir, "src.gem"), :chdir => root)
    no_cargo = @env.merge("PATH" => ENV.fetch("PATH").split(File::PATH_SEPARATOR)
                                     .reject { |d| File.exist?(File.join(d, "cargo")) }.join(File::PATH_SEPARATOR))
    out, status = Bundler.with_unbundled_env do
      Open3.capture2e(no_cargo, "gem", "install", "--local", "--no-document", File.join(@dir, "src.gem"), :chdir => @dir)
    end
    expect(status).not_to be_success
    expect(out).to include("needs Rust's cargo", "precompiled gem for this platform", "rake native_gem")
  end

  it "builds, installs with its extension, and loads and runs from any directory" do
    run!("gem", "build", "openstack_http_event_monitor.gemspec", "--output", File.join(@dir, "ohem.gem"), :chdir => root)
    run!("gem", "install", "--local", "--no-document", File.join(@dir, "ohem.gem"), :chdir => @dir)

    elsewhere = File.join(@dir, "elsewhere")
    Dir.mkdir(elsewhere)
    script = <<~RUBY
      require "openstack_http_event_monitor"
      so = $LOADED_FEATURES.grep(/openstack_http_event_monitor\\.#{RbConfig::CONFIG["DLEXT"]}\\z/)
      debug = OpenstackHTTPEventMonitor::Native.method_defined?(:__debug_panic)
      puts [OpenstackHTTPEventMonitor::VERSION, OpenstackHTTPEventMonitor.superclass, so.size, so.first.start_with?(#{@env["GEM_HOME"].inspect}), debug].join(" ")
    RUBY
    out = run!(RbConfig.ruby, "-e", script, :chdir => elsewhere)
    # the test-only entry points are not in the gem
    expect(out.lines.last.chomp).to eq("#{OpenstackHTTPEventMonitor::VERSION} OpenstackEventMonitor 1 true false")

    service.generate(:count => 30, :start => "2026-03-01T00:00:00", :step_ms => 5, :prefix => "g")
    exe = File.join(@env["GEM_HOME"], "bin", "openstack-http-events")
    @env.merge!("OS_AUTH_URL" => service.keystone_url, "OS_USERNAME" => "admin", "OS_PASSWORD" => "secret")
    out, err, status = Bundler.with_unbundled_env { Open3.capture3(@env, exe, "tail", "--once", :chdir => elsewhere) }
    expect(status).to be_success, err
    expect(out.lines.map { |l| JSON.parse(l)["message_id"] }).to eq((1..30).map { |i| format("g-%07d", i) })
  end
end
