@_exported import AccordTime
