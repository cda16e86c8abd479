# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  # Every exception this gem raises is an {Error}: `rescue
  # OpenstackHTTPEventMonitor::Error` catches them all. It is a module so
  # that {ConfigurationError} can also be an ArgumentError.
  module Error; end

  # Bad options; the message names the option, e.g. `http.page_size`.
  class ConfigurationError < ArgumentError
    include Error
  end

  # Base of the failures met while talking to the services.
  class ServiceError < StandardError
    include Error

    # Inside ManageIQ, {OpenstackHTTPEventMonitor.verify!} raises ManageIQ's
    # matching MiqException class; `rescue` of this gem's class still
    # catches it.
    def self.===(other)
      super || (other.respond_to?(:openstack_http_error_class) && other.openstack_http_error_class <= self)
    end
  end

  # Keystone refused the credentials, or the event service the token.
  class AuthenticationError < ServiceError; end

  # The service cannot be reached, or did not answer in time.
  class ConnectionError < ServiceError; end

  # TLS failed: certificate not trusted, wrong host name, handshake error.
  class SSLError < ConnectionError; end

  # The Keystone catalog has neither an `event` nor a `metering` service.
  class ServiceNotAvailableError < ServiceError; end

  # The service answered something it should not have (HTTP error status,
  # a body that is not a page of events).
  class ProtocolError < ServiceError; end

  # Another thread is polling with this monitor: use one monitor per thread.
  class BusyError < RuntimeError
    include Error
  end

  # A bug in the extension (a Rust panic), surfaced as an exception.
  class InternalError < StandardError
    include Error
  end
end
