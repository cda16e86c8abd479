# frozen_string_literal: true

require "fileutils"
require "tmpdir"

# A throwaway CA with a server certificate for 127.0.0.1 and a client
# certificate, made with the openssl command line for the TLS specs.
class TestCA
  attr_reader :dir

  def initialize
    @dir = Dir.mktmpdir("ohem-tls")
    Dir.chdir(@dir) do
      run('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=Spec CA"')
      issue("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
      issue("client", "/CN=manageiq", "extendedKeyUsage=clientAuth\n")
    end
  end

  def path(name)
    File.join(@dir, name)
  end

  def server
    [path("server.pem"), path("server.key")]
  end

  # A self-signed certificate for localhost and 127.0.0.1 as labs and
  # devstack make theirs (OpenSSL's req -x509 marks it CA:TRUE), meant to be
  # a server's own.
  # @param name [String] file name stem in {#dir}
  # @return [Array(String, String)] the certificate and key PEM paths
  def self_signed(name)
    run("openssl req -x509 -newkey rsa:2048 -nodes -keyout #{path("#{name}.key")} -out #{path("#{name}.pem")} " \
        "-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1")
    [path("#{name}.pem"), path("#{name}.key")]
  end

  def cleanup
    FileUtils.rm_rf(@dir)
  end

  private

  def issue(name, subject, extensions)
    run("openssl req -newkey rsa:2048 -nodes -keyout #{name}.key -out #{name}.csr -subj \"#{subject}\"")
    File.write("#{name}.cnf", "basicConstraints=CA:FALSE\n#{extensions}")
    run("openssl x509 -req -in #{name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out #{name}.pem -days 2 -extfile #{name}.cnf")
  end

  def run(command)
    system(command, :out => File::NULL, :err => File::NULL) || raise("failed: #{command}")
  end
end
