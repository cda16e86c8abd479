# frozen_string_literal: true

class OpenstackHTTPEventMonitor
  VERSION = "0.1.0"
end
