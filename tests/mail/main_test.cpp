// The mail_test executable: the cases are in the other *_test.cpp files of this directory.
#define BOOST_TEST_MODULE mail
#include <boost/test/unit_test.hpp>
