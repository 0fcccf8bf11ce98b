"""The DICOM Upper Layer (PS3.8) as a sans-I/O core: PDU codec and state machine."""
